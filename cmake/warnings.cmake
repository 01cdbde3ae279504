# Warnings are errors in our code (never in third-party sources such as llhttp).
function(apigw_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
endfunction()
