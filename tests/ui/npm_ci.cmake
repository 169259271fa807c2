# cmake -DSRC=tests/ui -DDST=build/tests/ui-node -DNPM=/usr/bin/npm [-DCHECK=package] -P npm_ci.cmake
# Installs the npm dependencies of SRC's package-lock.json into DST (for tests/ui: playwright-core
# only, no browser download; for tests/clients: the sender libraries). Skipped when DST already
# holds an install of the same package-lock.json (CHECK, default playwright-core, is installed).
if(NOT CHECK)
  set(CHECK playwright-core)
endif()
file(MAKE_DIRECTORY "${DST}")
file(SHA256 "${SRC}/package-lock.json" want)
set(stamp "${DST}/node_modules/.kamatama-lock-sha256")
if(EXISTS "${stamp}")
  file(READ "${stamp}" have)
  if(have STREQUAL want AND EXISTS "${DST}/node_modules/${CHECK}/package.json")
    message(STATUS "npm test dependencies up to date in ${DST}")
    return()
  endif()
endif()
configure_file("${SRC}/package.json" "${DST}/package.json" COPYONLY)
configure_file("${SRC}/package-lock.json" "${DST}/package-lock.json" COPYONLY)
set(ENV{PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD} 1)
execute_process(COMMAND "${NPM}" ci --no-audit --no-fund --ignore-scripts
  WORKING_DIRECTORY "${DST}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci failed (${rc})")
endif()
file(WRITE "${stamp}" "${want}")
