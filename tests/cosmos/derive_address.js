// Prints the bech32 address cosmjs derives for a mnemonic (read from
// standard input) at an HD path, through @cosmjs/proto-signing's
// DirectSecp256k1HdWallet (the wallet Cosmos web apps use).
//
//   echo "<mnemonic>" | node derive_address.js <prefix> <hd path>
"use strict";

const fs = require("fs");
const { DirectSecp256k1HdWallet } = require("@cosmjs/proto-signing");
const { stringToPath } = require("@cosmjs/crypto");

async function main() {
  const [prefix, path] = process.argv.slice(2);
  if (!prefix || !path) {
    console.error("usage: derive_address.js PREFIX HD_PATH < mnemonic");
    process.exit(2);
  }
  const mnemonic = fs.readFileSync(0, "utf8").trim();
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, {
    prefix,
    hdPaths: [stringToPath(path)],
  });
  const [account] = await wallet.getAccounts();
  console.log(account.address);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
