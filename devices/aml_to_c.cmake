# aml_to_c.cmake: turn the AML iasl compiled (IN) into a C file (OUT) defining
# NAME[] and NAME_len, so the table ships inside hvsim. Run with cmake -P.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" nhex)
math(EXPR len "${nhex} / 2")
set(body "")
set(at 0)
while(at LESS nhex)
  string(SUBSTRING "${hex}" ${at} 32 line) # 16 bytes a line
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1, " line "${line}")
  string(STRIP "${line}" line)
  string(APPEND body "    ${line}\n")
  math(EXPR at "${at} + 32")
endwhile()
file(WRITE "${OUT}" "/* Generated from ${SRC} by iasl and aml_to_c.cmake: do not edit. */\n"
  "#include \"acpi_dsdt.h\"\n\n"
  "const unsigned char ${NAME}[] = {\n${body}};\n"
  "const unsigned int ${NAME}_len = ${len};\n")
