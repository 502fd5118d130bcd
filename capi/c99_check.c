/* Compiles capi/meshsec.h as C99 (-pedantic -Werror) and exercises the
 * error paths that need no chain: NULL arguments give a code and a message. */
#include <stdio.h>
#include <string.h>

#include "meshsec.h"

int main(void) {
  char* err = NULL;
  meshsec_buf out = {NULL, 0};
  int rc;
  if (strcmp(meshsec_version(), "") == 0) return 1;
  rc = meshsec_chain_init(NULL, &err);
  if (rc != MESHSEC_INVALID_ARGUMENT || err == NULL) {
    fprintf(stderr, "chain_init(NULL): rc=%d\n", rc);
    return 1;
  }
  meshsec_free(err);
  rc = meshsec_query(NULL, "bank/balance", "{}", 2, &out, &err);
  if (rc != MESHSEC_INVALID_ARGUMENT || out.data != NULL) return 1;
  meshsec_free(err);
  meshsec_chain_close(NULL);
  printf("c99 header: ok\n");
  return 0;
}
