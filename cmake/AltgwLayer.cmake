# altgw_layer(NAME <layer> DEPS <targets...>)
# Builds src/<layer>/*.cc into the static library altgw_<layer>. Sources are globbed (with CONFIGURE_DEPENDS)
# so adding a file to a layer needs no CMake edit; include paths are rooted at src/ ("model/value_codec.h").
function(altgw_layer)
  cmake_parse_arguments(L "" "NAME" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  if(sources)
    add_library(altgw_${L_NAME} STATIC ${sources})
    target_include_directories(altgw_${L_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(altgw_${L_NAME} PUBLIC ${L_DEPS})
  else()  # a layer whose first file is yet to come
    add_library(altgw_${L_NAME} INTERFACE)
    target_include_directories(altgw_${L_NAME} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(altgw_${L_NAME} INTERFACE ${L_DEPS})
  endif()
endfunction()

# altgw_layer_tests(NAME <layer> DEPS <targets...> [LABELS <labels>] [WHOLE_BINARY])
# Builds tests/<layer>/*.cc into one GoogleTest binary, altgw_<layer>_tests, registered with CTest test by
# test, or as one CTest test with WHOLE_BINARY (for suites that share an expensive fixture process, such as
# DynamoDB Local, across their tests).
function(altgw_layer_tests)
  cmake_parse_arguments(T "WHOLE_BINARY" "NAME" "DEPS;LABELS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  if(NOT sources)
    return()
  endif()
  add_executable(altgw_${T_NAME}_tests ${sources})
  target_include_directories(altgw_${T_NAME}_tests PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(altgw_${T_NAME}_tests PRIVATE ${T_DEPS} GTest::gmock GTest::gtest_main)
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(T_WHOLE_BINARY)
    add_test(NAME altgw_${T_NAME}_tests COMMAND altgw_${T_NAME}_tests)
    set_tests_properties(altgw_${T_NAME}_tests PROPERTIES LABELS "${T_LABELS}" TIMEOUT 1800)
  else()
    gtest_discover_tests(altgw_${T_NAME}_tests
      PROPERTIES LABELS "${T_LABELS}"
      DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
