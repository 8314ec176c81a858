# The floors: a folder's code may include only its own folder and the
# floors below it. Run as a script:
#   cmake -DROOT=<source folder> -P tests/check_floors.cmake
# It reads every #include "folder/..." line of every source in the floored
# folders and fails, naming the file, the line and the include, for each one
# that reaches a floor above or beside its own. (The libraries in CMake link
# the same way: base is linked by all, kernels by engine, and so on.)
#
#   8  tests bench fuzz          test and measure everything
#   7  examples                  programs that use the library as a user would
#   6  cli                       the command line
#   5  train                     the training library
#   4  models
#   3  layers  data  report      siblings: none includes another
#   2  engine
#   1  kernels
#   0  base
set(floor_base 0)
set(floor_kernels 1)
set(floor_engine 2)
set(floor_layers 3)
set(floor_data 3)
set(floor_report 3)
set(floor_models 4)
set(floor_train 5)
set(floor_cli 6)
set(floor_examples 7)
set(floor_tests 8)
set(floor_bench 8)
set(floor_fuzz 8)
# The folders whose includes are checked (the top floor may include anything).
set(checked base kernels engine layers data report models train cli examples)

if(NOT DEFINED ROOT)
  message(FATAL_ERROR "pass -DROOT=<the source folder>")
endif()

set(violations "")
set(files_read 0)
foreach(folder IN LISTS checked)
  if(NOT IS_DIRECTORY ${ROOT}/${folder})
    continue()
  endif()
  file(GLOB_RECURSE sources RELATIVE ${ROOT}
       ${ROOT}/${folder}/*.h ${ROOT}/${folder}/*.cpp ${ROOT}/${folder}/*.cu ${ROOT}/${folder}/*.cuh)
  foreach(source IN LISTS sources)
    math(EXPR files_read "${files_read} + 1")
    file(STRINGS ${ROOT}/${source} includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"[^\"]*\"")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]*)\".*$" "\\1" included "${line}")
      # "folder/file.h": only includes that name a folder of the project count.
      if(NOT included MATCHES "^([A-Za-z0-9_]+)/")
        continue()
      endif()
      set(target ${CMAKE_MATCH_1})
      if(target STREQUAL folder OR NOT DEFINED floor_${target})
        continue()
      endif()
      if(floor_${target} GREATER_EQUAL floor_${folder})
        if(floor_${target} EQUAL floor_${folder})
          set(how "beside it, on the same floor")
        else()
          set(how "a floor above it")
        endif()
        list(APPEND violations
             "${source} includes \"${included}\": ${target}/ is ${how} (${folder}/ may include only the floors below it)")
      endif()
    endforeach()
  endforeach()
endforeach()

if(violations)
  list(LENGTH violations count)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "${count} include(s) break the floors:\n  ${text}")
endif()
message(STATUS "floors kept: ${files_read} files checked")
