# ManPages.cmake: man pages made from the `--help` text of the mrank command itself, so the two can
# never drift. Run as a script: cmake -DMRANK=<path to mrank> -DOUTPUT_DIR=<dir> -DVERSION=<v> -P ...
# One page for mrank (mrank.1) and one per subcommand (mrank-<name>.1); the help text goes in a
# no-fill block, escaped for roff.
if(NOT MRANK OR NOT OUTPUT_DIR OR NOT VERSION)
  message(FATAL_ERROR "ManPages.cmake needs -DMRANK, -DOUTPUT_DIR and -DVERSION")
endif()
file(MAKE_DIRECTORY "${OUTPUT_DIR}")

function(roff_escape text out)
  string(REPLACE "\\" "\\e" text "${text}")
  # a line may not start with . or ' in roff
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

function(write_page name summary help)
  roff_escape("${help}" body)
  string(TOUPPER "${name}" title)
  set(page ".TH ${title} 1 \"\" \"mrank ${VERSION}\" \"mrank manual\"\n")
  string(APPEND page ".SH NAME\n${name} \\- ${summary}\n")
  string(APPEND page ".SH DESCRIPTION\n.nf\n${body}\n.fi\n")
  string(APPEND page ".SH SEE ALSO\n")
  if(name STREQUAL "mrank")
    string(APPEND page ".BR mrank-demo (1),\n.BR mrank-devices (1),\n.BR mrank-validate (1)\n")
  else()
    string(APPEND page ".BR mrank (1)\n")
  endif()
  file(WRITE "${OUTPUT_DIR}/${name}.1" "${page}")
endfunction()

execute_process(COMMAND "${MRANK}" --help OUTPUT_VARIABLE main_help RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "${MRANK} --help failed")
endif()
write_page(mrank "margin ranking loss on any OpenCL device" "${main_help}")

# the subcommands and their one-line summaries, as `mrank --help` lists them
string(REGEX MATCH "commands:\n(([ ]+[a-z]+ [^\n]*\n)+)" listing "${main_help}")
string(REGEX MATCHALL "  [a-z]+ +[^\n]+" lines "${CMAKE_MATCH_1}")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "^  ([a-z]+) +(.*)$" "\\1" command "${line}")
  string(REGEX REPLACE "^  ([a-z]+) +(.*)$" "\\2" summary "${line}")
  execute_process(COMMAND "${MRANK}" ${command} --help OUTPUT_VARIABLE help RESULT_VARIABLE failed)
  if(failed)
    message(FATAL_ERROR "${MRANK} ${command} --help failed")
  endif()
  write_page("mrank-${command}" "${summary}" "${help}")
endforeach()
