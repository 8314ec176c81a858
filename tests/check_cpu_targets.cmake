# Checks the isolation of the CPU vector targets (kernels/cpu/CMakeLists.txt):
# each target's combined object must define exactly two global symbols, its
# own cudagrad::cpu::<target>::self_check() and table(), so that none of its AVX-512 (or AVX2)
# inline functions and templates can be linked in place of another target's;
# and it must hold no constructors (.init_array), since code there would run
# at program start, before the CPU's support for the target is checked.
#   cmake -DOBJECTS="a.o;b.o" -DNM=nm -DREADELF=readelf [-DSANITIZED=ON] -P check_cpu_targets.cmake
set(failures 0)
foreach(object IN LISTS OBJECTS)
  get_filename_component(name ${object} NAME_WE)
  string(REGEX REPLACE "^cpu_target_" "" target ${name})
  string(LENGTH ${target} length)
  # nm lists them sorted by name.
  set(expected "_ZN8cudagrad3cpu${length}${target}10self_checkEv;_ZN8cudagrad3cpu${length}${target}5tableEv")

  execute_process(COMMAND ${NM} -g --defined-only ${object}
                  OUTPUT_VARIABLE symbols RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(SEND_ERROR "${object}: nm failed (${status})")
    math(EXPR failures "${failures} + 1")
    continue()
  endif()
  string(REGEX MATCHALL "[^\n]+" lines "${symbols}")
  set(globals "")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^.* " "" symbol "${line}")
    list(APPEND globals ${symbol})
  endforeach()
  if(NOT globals STREQUAL expected)
    message(SEND_ERROR "${target}: the object must define only ${expected} globally, "
                       "it defines: ${globals}")
    math(EXPR failures "${failures} + 1")
  endif()

  execute_process(COMMAND ${READELF} -S -W ${object} OUTPUT_VARIABLE sections)
  if(sections MATCHES "\\.init_array|\\.ctors")
    if(SANITIZED)
      message(STATUS "${target}: constructors present, from the sanitizers' instrumentation "
                     "(not checked in a sanitizer build)")
    else()
      message(SEND_ERROR "${target}: the object has constructors (.init_array), which would run "
                         "before the target is chosen")
      math(EXPR failures "${failures} + 1")
    endif()
  endif()
  message(STATUS "${target}: exports only ${expected}")
endforeach()
list(LENGTH OBJECTS count)
if(count EQUAL 0)
  message(FATAL_ERROR "no target objects given")
endif()
if(failures GREATER 0)
  message(FATAL_ERROR "${failures} check(s) failed")
endif()
