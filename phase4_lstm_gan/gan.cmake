# phase4_lstm_gan/gan.cmake -- the GAN half of phase 4: the adversarial game, the MLP GAN,
# the DCGAN, the cGAN and the evaluator CNN that scores their samples.
#
# Included by the phase's CMakeLists.txt after it has defined phase4_lstm_gan_lib and the
# executable phase4_lstm_gan; adds the GAN sources to the library and one test executable
# per label (docs/CONVENTIONS.md §6), named phase4_lstm_gan_gan_<label>_tests. The library's
# compile options (-fno-trapping-math -fno-math-errno, explained there) apply to them too.
target_sources(phase4_lstm_gan_lib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/gan.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dcgan.cpp
  ${CMAKE_CURRENT_LIST_DIR}/evaluator.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lesson_gan.cpp)

if(AIJ_BUILD_TESTS)
  foreach(label unit gradcheck golden train full)
    set(name phase4_lstm_gan_gan_${label}_tests)
    aij_add_test(${name} ${label} LIBRARIES phase4_lstm_gan_lib
                 SOURCES ${CMAKE_CURRENT_LIST_DIR}/tests/test_gan_${label}.cpp)
    target_compile_definitions(${name} PRIVATE
      PHASE_EXE="$<TARGET_FILE:phase4_lstm_gan>"
      GAN_GOLDEN_DIR="${CMAKE_CURRENT_LIST_DIR}/tests/golden")
  endforeach()
  add_dependencies(phase4_lstm_gan_gan_full_tests phase4_lstm_gan)
endif()
