/* Builds a devnet genesis through the installed libmeshsec and checks an
 * error comes back as a code and a message. Prints "c host: ok <len>". */
#include <stdio.h>
#include <string.h>

#include "meshsec.h"

int main(void) {
  meshsec_buf g = {NULL, 0};
  char* err = NULL;
  int rc = meshsec_devnet_genesis("[\"chaina\",\"chainb\"]", "chaina", 1, &g, &err);
  if (rc != 0 || g.len == 0 || strstr((const char*)g.data, "\"chain_id\":\"chaina\"") == NULL) {
    fprintf(stderr, "genesis: rc=%d %s\n", rc, err ? err : "");
    return 1;
  }
  rc = meshsec_devnet_genesis("[\"chaina\"", "chaina", 1, &g, &err);
  if (rc != MESHSEC_INVALID_ARGUMENT || err == NULL) return 1;
  meshsec_free(err);
  printf("c host: ok %s %zu\n", meshsec_version(), g.len);
  return 0;
}
