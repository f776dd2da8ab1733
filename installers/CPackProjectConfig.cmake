# Read by cpack for each generator (CPACK_PROJECT_CONFIG_FILE). The Debian generator would put
# the package-wide summary in front of each component's description; every component's
# CPACK_DEBIAN_<COMPONENT>_DESCRIPTION starts with a summary line of its own instead.
if(CPACK_GENERATOR STREQUAL "DEB")
    unset(CPACK_PACKAGE_DESCRIPTION_SUMMARY)
endif()
