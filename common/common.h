// common/common.h -- everything in the shared library, for a phase's main.cpp.
#pragma once

#include "checkpoint.h"
#include "cli.h"
#include "console.h"
#include "data.h"
#include "error.h"
#include "files.h"
#include "float_env.h"
#include "gemm.h"
#include "image.h"
#include "json.h"
#include "matmul.h"
#include "plot.h"
#include "progress.h"
#include "rng.h"
#include "tensor.h"
#include "thread_pool.h"
