#include "ccenter/common.h"

unsigned ccenter_version(void)
{
  return CCENTER_VERSION_HEX;
}

const char *ccenter_version_string(void)
{
  return CCENTER_VERSION_STRING;
}
