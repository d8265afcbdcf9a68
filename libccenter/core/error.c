#include "ccenter/common.h"

const char *ccenter_strerror(int err)
{
  switch (err) {
  case CCENTER_OK:
    return "success";
#define CCENTER_ERR_TEXT_(name, code, text) \
  case (code):                              \
    return text;
    CCENTER_ERRNO_MAP(CCENTER_ERR_TEXT_)
#undef CCENTER_ERR_TEXT_
  default:
    return "unknown error";
  }
}

const char *ccenter_err_name(int err)
{
  switch (err) {
  case CCENTER_OK:
    return "CCENTER_OK";
#define CCENTER_ERR_NAME_(name, code, text) \
  case (code):                              \
    return "CCENTER_" #name;
    CCENTER_ERRNO_MAP(CCENTER_ERR_NAME_)
#undef CCENTER_ERR_NAME_
  default:
    return "CCENTER_EUNKNOWN";
  }
}
