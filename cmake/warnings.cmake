# Warnings are errors in our code (never in third-party sources such as llhttp).
# GCC 12 at -O3 reports -Wrestrict inside std::string's operator+ (GCC bug
# 105651, a false positive in libstdc++ itself), so that one check is off there.
function(apigw_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers
                         $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>)
endfunction()
