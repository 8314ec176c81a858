# ctest runs each doctest case by name (doctest_discover_tests), and a ';'
# in a name splits it into a CMake list: the filter then matches no case,
# and the test "passes" having run nothing. This check fails on such a name.
#   cmake -DROOT=<source folder> -P tests/check_test_names.cmake
if(NOT DEFINED ROOT)
  message(FATAL_ERROR "pass -DROOT=<the source folder>")
endif()
file(GLOB sources ${ROOT}/tests/test_*.cpp)
set(bad "")
foreach(source IN LISTS sources)
  file(STRINGS ${source} lines REGEX "TEST_CASE\\(\"")
  foreach(line IN LISTS lines)
    # file(STRINGS) keeps a ';' of the line as "\;" (escaped, so the line
    # stays one list element): look for either form inside the name.
    if(line MATCHES "TEST_CASE\\(\"[^\"]*[;]")
      get_filename_component(name ${source} NAME)
      string(APPEND bad "\n  ${name}: ${line}")
    endif()
  endforeach()
endforeach()
list(LENGTH sources count)
if(bad)
  message(FATAL_ERROR "test names with ';' (ctest would run nothing for them):${bad}")
endif()
message(STATUS "test names: ${count} files checked, no ';' in a TEST_CASE name")
