// phase2_backprop/init.cpp -- see init.h.
#include "init.h"

#include <cmath>

namespace phase2 {

std::string init_name(Init init) {
  switch (init) {
    case Init::uniform_small:
      return "uniform_small";
    case Init::xavier:
      return "xavier";
    case Init::he:
      return "he";
  }
  return "?";
}

}  // namespace phase2
