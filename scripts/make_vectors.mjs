#!/usr/bin/env node
// Generate the EIP-712 cross-client test vectors in tests/vectors/ (SPEC sections 2, 3, 7).
//
// Every vector is hashed and signed by two independent real clients:
//   - ethers v6            (TypedDataEncoder.hash, Wallet.signTypedData, SigningKey.sign)
//   - @metamask/eth-sig-util (TypedDataUtils.eip712Hash and signTypedData, version V4 --
//                             the code path behind MetaMask's eth_signTypedData_v4)
// and the script refuses to write anything (exit code 1) unless both clients agree on the type
// string, type hash, domain separator, struct hash, digest, signature and recovered signer.
//
// Usage:
//   node scripts/make_vectors.mjs           write tests/vectors/*.json
//   node scripts/make_vectors.mjs --check   regenerate in memory; exit 1 if a committed file differs
//
// Output is deterministic: fixed keys, fixed inputs, RFC 6979 signatures, stable key order.

import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

import {
  AbiCoder,
  TypedDataEncoder,
  Wallet,
  concat,
  getAddress,
  hexlify,
  id as keccakUtf8,
  keccak256,
  recoverAddress,
  verifyTypedData,
  Signature,
} from "ethers";
import {
  SignTypedDataVersion,
  TypedDataUtils,
  recoverTypedSignature,
  signTypedData,
} from "@metamask/eth-sig-util";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT_DIR = join(ROOT, "tests", "vectors");
const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------
// Generator metadata: exact versions of the clients, read from their installed package.json.
// (The packages' "exports" maps hide package.json from require(), so read the file directly.)

function installedVersion(pkg) {
  const entry = require.resolve(pkg); // .../node_modules/<pkg>/<main>
  const marker = join("node_modules", ...pkg.split("/"));
  const idx = entry.lastIndexOf(marker);
  if (idx < 0) throw new Error(`cannot locate package root of ${pkg} from ${entry}`);
  const pkgJson = JSON.parse(readFileSync(join(entry.slice(0, idx + marker.length), "package.json"), "utf8"));
  if (pkgJson.name !== pkg) throw new Error(`package.json name mismatch for ${pkg}: ${pkgJson.name}`);
  return pkgJson.version;
}

// Only package names and their installed versions; the script path and the V4 mode are in
// tests/vectors/README.md.
const GENERATOR = {
  ethers: installedVersion("ethers"),
  "@metamask/eth-sig-util": installedVersion("@metamask/eth-sig-util"),
};

// ---------------------------------------------------------------------------------------------
// SPEC section 2 and 3: domain and types.

const DOMAIN_NAME = "AA Auth Account";
const DOMAIN_VERSION = "1";

const EIP712_DOMAIN_FIELDS = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
];

const ORDER_FIELDS = [
  { name: "venue", type: "address" },
  { name: "market", type: "uint256" },
  { name: "isBuy", type: "bool" },
  { name: "size", type: "uint256" },
  { name: "price", type: "uint256" },
  { name: "nonce", type: "uint256" },
  { name: "deadline", type: "uint256" },
];
const SESSION_GRANT_FIELDS = [
  { name: "key", type: "address" },
  { name: "scope", type: "Scope" },
  { name: "nonce", type: "uint256" },
  { name: "deadline", type: "uint256" },
];
const SCOPE_FIELDS = [
  { name: "validAfter", type: "uint48" },
  { name: "validUntil", type: "uint48" },
  { name: "venues", type: "address[]" },
  { name: "markets", type: "MarketLimit[]" },
  { name: "maxNotionalPerWindow", type: "uint256" },
  { name: "maxOrdersPerWindow", type: "uint32" },
  { name: "windowSeconds", type: "uint32" },
  { name: "maxGasFee", type: "uint256" },
  { name: "calls", type: "CallPermission[]" },
];
const MARKET_LIMIT_FIELDS = [
  { name: "market", type: "uint256" },
  { name: "maxOrderSize", type: "uint256" },
  { name: "minPrice", type: "uint256" },
  { name: "maxPrice", type: "uint256" },
];
const CALL_PERMISSION_FIELDS = [
  { name: "target", type: "address" },
  { name: "selector", type: "bytes4" },
  { name: "maxValue", type: "uint256" },
];
const REVOKE_SESSION_FIELDS = [{ name: "key", type: "address" }];
const AA_AUTH_MESSAGE_FIELDS = [{ name: "hash", type: "bytes32" }];

// Types as ethers takes them (no EIP712Domain entry), per primary type.
const TYPES = {
  Order: { Order: ORDER_FIELDS },
  SessionGrant: {
    SessionGrant: SESSION_GRANT_FIELDS,
    Scope: SCOPE_FIELDS,
    MarketLimit: MARKET_LIMIT_FIELDS,
    CallPermission: CALL_PERMISSION_FIELDS,
  },
  RevokeSession: { RevokeSession: REVOKE_SESSION_FIELDS },
  AAAuthMessage: { AAAuthMessage: AA_AUTH_MESSAGE_FIELDS },
};

// encodeType strings copied verbatim from SPEC section 3 (referenced types sorted by name).
const SPEC_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
const SPEC_ORDER =
  "Order(address venue,uint256 market,bool isBuy,uint256 size,uint256 price,uint256 nonce,uint256 deadline)";
const SPEC_SCOPE =
  "Scope(uint48 validAfter,uint48 validUntil,address[] venues,MarketLimit[] markets,uint256 maxNotionalPerWindow," +
  "uint32 maxOrdersPerWindow,uint32 windowSeconds,uint256 maxGasFee,CallPermission[] calls)";
const SPEC_MARKET_LIMIT = "MarketLimit(uint256 market,uint256 maxOrderSize,uint256 minPrice,uint256 maxPrice)";
const SPEC_CALL_PERMISSION = "CallPermission(address target,bytes4 selector,uint256 maxValue)";
const SPEC_ENCODED_TYPE = {
  Order: SPEC_ORDER,
  SessionGrant:
    "SessionGrant(address key,Scope scope,uint256 nonce,uint256 deadline)" +
    SPEC_CALL_PERMISSION +
    SPEC_MARKET_LIMIT +
    SPEC_SCOPE,
  RevokeSession: "RevokeSession(address key)",
  AAAuthMessage: "AAAuthMessage(bytes32 hash)",
};

// ---------------------------------------------------------------------------------------------
// Fixed, well-known test material.

const KEYS = {
  // anvil / hardhat default accounts 0..3 ("test test ... junk" mnemonic), with their addresses.
  anvil0: ["0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"],
  anvil1: ["0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"],
  anvil2: ["0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"],
  anvil3: ["0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6", "0x90F79bf6EB2c4f870365E785982E1f101E93b906"],
  // private key 1 (the generator point): a classic edge-case key.
  one: ["0x0000000000000000000000000000000000000000000000000000000000000001", "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"],
};

const ADDR = {
  zero: getAddress("0x0000000000000000000000000000000000000000"),
  max: getAddress("0xffffffffffffffffffffffffffffffffffffffff"),
  // first contract addresses anvil assigns to deployer anvil0 (nonces 0..5)
  deploy0: getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3"),
  deploy1: getAddress("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"),
  deploy2: getAddress("0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0"),
  deploy3: getAddress("0xcf7ed3acca5a467e9e704c703e8d87f634fb0fc9"),
  deploy4: getAddress("0xdc64a140aa3e981100a9beca4e685f962f0cf6c9"),
  deploy5: getAddress("0x5fc8d32690cc91d4c39d9d3abcbd16989f875707"),
  cccc: getAddress("0xcccccccccccccccccccccccccccccccccccccccc"),
  // well-known mainnet contracts, just as realistic-looking targets
  usdc: getAddress("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"),
  weth: getAddress("0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"),
};

const MAX_UINT256 = 2n ** 256n - 1n;
const MAX_UINT48 = 2n ** 48n - 1n;
const MAX_UINT32 = 2n ** 32n - 1n;
const ANY_MARKET = MAX_UINT256;
const MAX_SAFE_CHAIN_ID = 2 ** 53 - 1; // 9007199254740991, largest chain id a JS number holds exactly
const E18 = 10n ** 18n;

const SEL_NONE = "0x00000000"; // plain transfer (empty calldata), SPEC section 4
const SEL_TRANSFER = "0xa9059cbb"; // transfer(address,uint256)
const SEL_APPROVE = "0x095ea7b3"; // approve(address,uint256)
const SEL_MAX = "0xffffffff";

// Sanity: the selectors really are what their comments say.
assertEq(keccakUtf8("transfer(address,uint256)").slice(0, 10), SEL_TRANSFER, "transfer selector");
assertEq(keccakUtf8("approve(address,uint256)").slice(0, 10), SEL_APPROVE, "approve selector");

// ---------------------------------------------------------------------------------------------
// Cases. Values here may be bigint/number/string; they are normalized for the JSON.

const ORDER_CASES = [
  {
    name: "order_zero_values",
    chainId: 1, account: ADDR.deploy0, key: "anvil0",
    message: { venue: ADDR.zero, market: 0n, isBuy: false, size: 0n, price: 0n, nonce: 0n, deadline: 0n },
  },
  {
    name: "order_max_values_any_market",
    chainId: MAX_SAFE_CHAIN_ID, account: ADDR.max, key: "anvil1",
    message: {
      venue: ADDR.max, market: ANY_MARKET, isBuy: true, size: MAX_UINT256, price: MAX_UINT256,
      nonce: MAX_UINT256, deadline: MAX_UINT256,
    },
  },
  {
    name: "order_buy_session_key_anvil",
    chainId: 31337, account: ADDR.deploy0, key: "anvil1",
    message: {
      venue: ADDR.deploy2, market: 1n, isBuy: true, size: 15n * 10n ** 17n, price: 2000n * E18,
      nonce: 0n, deadline: 1767225600n,
    },
  },
  {
    name: "order_sell_session_key_anvil",
    chainId: 31337, account: ADDR.deploy0, key: "anvil1",
    message: {
      venue: ADDR.deploy2, market: 1n, isBuy: false, size: 15n * 10n ** 17n, price: 2000n * E18,
      nonce: 257n, deadline: 1767225600n,
    },
  },
  {
    // same message as order_buy_session_key_anvil, other account: digest must differ (domain binding)
    name: "order_buy_session_key_other_account",
    chainId: 31337, account: ADDR.deploy1, key: "anvil1",
    message: {
      venue: ADDR.deploy2, market: 1n, isBuy: true, size: 15n * 10n ** 17n, price: 2000n * E18,
      nonce: 0n, deadline: 1767225600n,
    },
  },
  {
    // same message as order_buy_session_key_anvil, other chain: digest must differ
    name: "order_buy_session_key_other_chain",
    chainId: 11155111, account: ADDR.deploy0, key: "anvil1",
    message: {
      venue: ADDR.deploy2, market: 1n, isBuy: true, size: 15n * 10n ** 17n, price: 2000n * E18,
      nonce: 0n, deadline: 1767225600n,
    },
  },
  {
    name: "order_owner_sepolia_large_nonce",
    chainId: 11155111, account: ADDR.deploy1, key: "anvil0",
    message: {
      venue: ADDR.deploy3, market: 42n, isBuy: false, size: 1n, price: 1n, nonce: 2n ** 128n + 5n,
      deadline: 4102444800n,
    },
  },
  {
    name: "order_mainnet_nonce_top_bit",
    chainId: 1, account: ADDR.cccc, key: "anvil2",
    message: {
      venue: ADDR.usdc, market: 2n ** 160n - 1n, isBuy: true, size: 123456789n, price: 99999n * E18 + 1n,
      nonce: 2n ** 255n, deadline: 1700000000n,
    },
  },
  {
    name: "order_private_key_one",
    chainId: 1, account: ADDR.deploy0, key: "one",
    message: { venue: ADDR.deploy2, market: ANY_MARKET - 1n, isBuy: false, size: 7n, price: E18, nonce: 1n, deadline: 1n },
  },
];

const emptyScope = () => ({
  validAfter: 0n, validUntil: 0n, venues: [], markets: [], maxNotionalPerWindow: 0n,
  maxOrdersPerWindow: 0n, windowSeconds: 0n, maxGasFee: 0n, calls: [],
});

const GRANT_CASES = [
  {
    name: "grant_all_zero_all_empty",
    chainId: 1, account: ADDR.deploy0, key: "anvil0",
    message: { key: KEYS.anvil1[1], scope: emptyScope(), nonce: 0n, deadline: 0n },
  },
  {
    name: "grant_zero_key_all_empty",
    chainId: 31337, account: ADDR.deploy0, key: "anvil0",
    message: { key: ADDR.zero, scope: emptyScope(), nonce: 0n, deadline: 0n },
  },
  {
    name: "grant_one_each",
    chainId: 31337, account: ADDR.deploy0, key: "anvil0",
    message: {
      key: KEYS.anvil1[1],
      scope: {
        validAfter: 1700000000n, validUntil: 1767225600n,
        venues: [ADDR.deploy2],
        markets: [{ market: 1n, maxOrderSize: 10n * E18, minPrice: 1000n * E18, maxPrice: 3000n * E18 }],
        maxNotionalPerWindow: 100000n * E18, maxOrdersPerWindow: 100n, windowSeconds: 3600n, maxGasFee: E18 / 10n,
        calls: [{ target: ADDR.deploy4, selector: SEL_TRANSFER, maxValue: 0n }],
      },
      nonce: 0n, deadline: 1767225600n,
    },
  },
  {
    name: "grant_several_each",
    chainId: 11155111, account: ADDR.deploy1, key: "anvil0",
    message: {
      key: KEYS.anvil2[1],
      scope: {
        validAfter: 1735689600n, validUntil: 1767225600n,
        venues: [ADDR.deploy2, ADDR.deploy3, ADDR.cccc],
        markets: [
          { market: 1n, maxOrderSize: 5n * E18, minPrice: 1500n * E18, maxPrice: 2500n * E18 },
          { market: 2n, maxOrderSize: 100n * E18, minPrice: 0n, maxPrice: 50n * E18 },
          { market: ANY_MARKET, maxOrderSize: E18, minPrice: 1n, maxPrice: MAX_UINT256 },
        ],
        maxNotionalPerWindow: 250000n * E18, maxOrdersPerWindow: 1000n, windowSeconds: 86400n,
        maxGasFee: 5n * E18,
        calls: [
          { target: ADDR.usdc, selector: SEL_TRANSFER, maxValue: 0n },
          { target: ADDR.usdc, selector: SEL_APPROVE, maxValue: 0n },
          { target: ADDR.deploy5, selector: SEL_NONE, maxValue: E18 },
        ],
      },
      nonce: 7n, deadline: 1767225600n,
    },
  },
  {
    name: "grant_max_values",
    chainId: MAX_SAFE_CHAIN_ID, account: ADDR.max, key: "anvil0",
    message: {
      key: ADDR.max,
      scope: {
        validAfter: MAX_UINT48, validUntil: MAX_UINT48,
        venues: [ADDR.max],
        markets: [{ market: ANY_MARKET, maxOrderSize: MAX_UINT256, minPrice: MAX_UINT256, maxPrice: MAX_UINT256 }],
        maxNotionalPerWindow: MAX_UINT256, maxOrdersPerWindow: MAX_UINT32, windowSeconds: MAX_UINT32,
        maxGasFee: MAX_UINT256,
        calls: [{ target: ADDR.max, selector: SEL_MAX, maxValue: MAX_UINT256 }],
      },
      nonce: MAX_UINT256, deadline: MAX_UINT256,
    },
  },
  {
    // what the Python layer writes when every limit is left out: type maxima, lifetime window
    name: "grant_unlimited_defaults_any_market",
    chainId: 1, account: ADDR.cccc, key: "anvil0",
    message: {
      key: KEYS.anvil3[1],
      scope: {
        validAfter: 0n, validUntil: MAX_UINT48,
        venues: [ADDR.deploy2],
        markets: [{ market: ANY_MARKET, maxOrderSize: MAX_UINT256, minPrice: 0n, maxPrice: MAX_UINT256 }],
        maxNotionalPerWindow: MAX_UINT256, maxOrdersPerWindow: MAX_UINT32, windowSeconds: 0n, maxGasFee: 0n,
        calls: [],
      },
      nonce: 1n, deadline: 1767225600n,
    },
  },
  {
    name: "grant_calls_only_plain_transfer_selector",
    chainId: 31337, account: ADDR.deploy1, key: "anvil2",
    message: {
      key: KEYS.one[1],
      scope: {
        validAfter: 1n, validUntil: 2n, venues: [], markets: [], maxNotionalPerWindow: 0n,
        maxOrdersPerWindow: 0n, windowSeconds: 0n, maxGasFee: 10n ** 16n,
        calls: [
          { target: ADDR.weth, selector: SEL_NONE, maxValue: 0n },
          { target: ADDR.weth, selector: SEL_TRANSFER, maxValue: 1n },
        ],
      },
      nonce: 2n ** 64n, deadline: 2n ** 48n,
    },
  },
];

// RevokeSession is signed by the session key itself (revokeSessionWithSig): key == signer.
const REVOKE_CASES = [
  { name: "revoke_self_anvil", chainId: 31337, account: ADDR.deploy0, key: "anvil1", message: { key: KEYS.anvil1[1] } },
  { name: "revoke_self_mainnet", chainId: 1, account: ADDR.cccc, key: "anvil2", message: { key: KEYS.anvil2[1] } },
  {
    name: "revoke_self_max_chain_id", chainId: MAX_SAFE_CHAIN_ID, account: ADDR.deploy1, key: "anvil3",
    message: { key: KEYS.anvil3[1] },
  },
  { name: "revoke_self_sepolia_key_one", chainId: 11155111, account: ADDR.max, key: "one", message: { key: KEYS.one[1] } },
];

const HELLO_HASH = keccak256(new TextEncoder().encode("hello"));
assertEq(HELLO_HASH, "0x1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8", "keccak256('hello')");

// AAAuthMessage is the owner's ERC-1271 wrapper (SPEC section 7, isValidSignature).
const MESSAGE_CASES = [
  { name: "aa_auth_message_hello", chainId: 1, account: ADDR.deploy0, key: "anvil0", message: { hash: HELLO_HASH } },
  {
    // same owner, same inner hash, other account: digest must differ (no cross-account replay)
    name: "aa_auth_message_hello_other_account", chainId: 1, account: ADDR.deploy1, key: "anvil0",
    message: { hash: HELLO_HASH },
  },
  { name: "aa_auth_message_zero_hash", chainId: 31337, account: ADDR.deploy0, key: "anvil0", message: { hash: "0x" + "00".repeat(32) } },
  {
    name: "aa_auth_message_max_hash_max_chain_id", chainId: MAX_SAFE_CHAIN_ID, account: ADDR.max, key: "anvil1",
    message: { hash: "0x" + "ff".repeat(32) },
  },
];

// ---------------------------------------------------------------------------------------------
// Helpers.

function assertEq(actual, expected, what) {
  if (actual !== expected) {
    throw new Error(`MISMATCH ${what}:\n  got      ${String(actual)}\n  expected ${String(expected)}`);
  }
}

function toHex(bytes) {
  return hexlify(bytes); // lowercase 0x-hex
}

// Normalize a value of an EIP-712 type for the JSON: uints as decimal strings, addresses
// checksummed, bytesN lowercase 0x-hex, bools as JSON booleans, structs/arrays recursively.
function normalize(types, type, value) {
  if (type.endsWith("[]")) {
    if (!Array.isArray(value)) throw new Error(`expected array for ${type}`);
    return value.map((v) => normalize(types, type.slice(0, -2), v));
  }
  if (types[type]) {
    const out = {};
    for (const f of types[type]) {
      if (!(f.name in value)) throw new Error(`missing field ${type}.${f.name}`);
      out[f.name] = normalize(types, f.type, value[f.name]);
    }
    const extra = Object.keys(value).filter((k) => !types[type].some((f) => f.name === k));
    if (extra.length) throw new Error(`unexpected fields in ${type}: ${extra}`);
    return out;
  }
  let m;
  if ((m = type.match(/^uint(\d+)$/))) {
    const v = BigInt(value);
    if (v < 0n || v >= 2n ** BigInt(m[1])) throw new Error(`value ${v} out of range for ${type}`);
    return v.toString(10);
  }
  if ((m = type.match(/^bytes(\d+)$/))) {
    const h = hexlify(value).toLowerCase();
    if (h.length !== 2 + 2 * Number(m[1])) throw new Error(`bad length for ${type}: ${h}`);
    return h;
  }
  if (type === "address") return getAddress(value);
  if (type === "bool") {
    if (typeof value !== "boolean") throw new Error(`expected boolean, got ${value}`);
    return value;
  }
  throw new Error(`unsupported type ${type}`);
}

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

async function makeVector(primaryType, c) {
  const types = TYPES[primaryType];
  const [privateKey, expectedSigner] = KEYS[c.key];
  const account = getAddress(c.account);
  const domain = { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId: c.chainId, verifyingContract: account };
  const message = normalize(types, primaryType, c.message);

  // ---------------- ethers v6
  const wallet = new Wallet(privateKey);
  assertEq(wallet.address, expectedSigner, `${c.name}: signer address of key ${c.key}`);
  const encoder = TypedDataEncoder.from(types);
  assertEq(encoder.primaryType, primaryType, `${c.name}: ethers primary type`);
  const encodedType = encoder.encodeType(primaryType);
  const typeHash = keccakUtf8(encodedType);
  const domainSeparator = TypedDataEncoder.hashDomain(domain);
  const structHash = TypedDataEncoder.hashStruct(primaryType, types, message);
  const digest = TypedDataEncoder.hash(domain, types, message);
  const signatureEthers = await wallet.signTypedData(domain, types, message);
  assertEq(wallet.signingKey.sign(digest).serialized, signatureEthers, `${c.name}: ethers SigningKey.sign(digest) vs Wallet.signTypedData`);
  assertEq(verifyTypedData(domain, types, message, signatureEthers), expectedSigner, `${c.name}: ethers verifyTypedData`);

  // ---------------- @metamask/eth-sig-util, V4 (built independently of ethers' payload)
  // NB: eth-sig-util hashes the domain with types.EIP712Domain and silently substitutes an
  // EMPTY EIP712Domain() type when it is missing, so the domain type must be given explicitly.
  const mmTypedData = {
    types: { EIP712Domain: EIP712_DOMAIN_FIELDS, ...types },
    primaryType,
    domain,
    message,
  };
  const V4 = SignTypedDataVersion.V4;
  const mmEncodedType = TypedDataUtils.encodeType(primaryType, mmTypedData.types);
  const mmTypeHash = toHex(TypedDataUtils.hashType(primaryType, mmTypedData.types));
  const mmDomainSeparator = toHex(TypedDataUtils.eip712DomainHash(mmTypedData, V4));
  const mmStructHash = toHex(TypedDataUtils.hashStruct(primaryType, message, mmTypedData.types, V4));
  const digestEthSigUtil = toHex(TypedDataUtils.eip712Hash(mmTypedData, V4));
  const signatureEthSigUtil = signTypedData({
    privateKey: Buffer.from(privateKey.slice(2), "hex"),
    data: mmTypedData,
    version: V4,
  });
  const mmRecovered = getAddress(recoverTypedSignature({ data: mmTypedData, signature: signatureEthSigUtil, version: V4 }));

  // ---------------- cross-client agreement
  assertEq(encodedType, SPEC_ENCODED_TYPE[primaryType], `${c.name}: ethers encodeType vs SPEC section 3`);
  assertEq(mmEncodedType, SPEC_ENCODED_TYPE[primaryType], `${c.name}: eth-sig-util encodeType vs SPEC section 3`);
  assertEq(TypedDataUtils.encodeType("EIP712Domain", mmTypedData.types), SPEC_DOMAIN_TYPE, `${c.name}: domain type`);
  assertEq(mmTypeHash, typeHash, `${c.name}: typeHash ethers vs eth-sig-util`);
  assertEq(mmDomainSeparator, domainSeparator, `${c.name}: domainSeparator ethers vs eth-sig-util`);
  assertEq(mmStructHash, structHash, `${c.name}: structHash ethers vs eth-sig-util`);
  assertEq(digestEthSigUtil, digest, `${c.name}: digest ethers vs eth-sig-util`);
  assertEq(signatureEthSigUtil, signatureEthers, `${c.name}: signature ethers vs eth-sig-util`);
  assertEq(mmRecovered, expectedSigner, `${c.name}: eth-sig-util recoverTypedSignature`);

  // eth-sig-util fed ethers' own eth_signTypedData_v4 JSON-RPC payload (lowercase addresses,
  // ethers-derived EIP712Domain type) must give the same digest too.
  const payload = TypedDataEncoder.getPayload(domain, types, message);
  assertEq(toHex(TypedDataUtils.eip712Hash(payload, V4)), digest, `${c.name}: eth-sig-util on ethers getPayload`);

  // Independent recomputation from first principles (abi.encode + keccak256), as Solidity does.
  const coder = AbiCoder.defaultAbiCoder();
  const manualDomainSeparator = keccak256(
    coder.encode(
      ["bytes32", "bytes32", "bytes32", "uint256", "address"],
      [keccakUtf8(SPEC_DOMAIN_TYPE), keccakUtf8(DOMAIN_NAME), keccakUtf8(DOMAIN_VERSION), c.chainId, account],
    ),
  );
  assertEq(manualDomainSeparator, domainSeparator, `${c.name}: manual domain separator`);
  assertEq(keccak256(concat(["0x1901", domainSeparator, structHash])), digest, `${c.name}: manual 0x1901 digest`);
  if (primaryType === "AAAuthMessage") {
    // SPEC 7: hashTypedData(keccak256(abi.encode(keccak256("AAAuthMessage(bytes32 hash)"), hash)))
    const inner = keccak256(coder.encode(["bytes32", "bytes32"], [keccakUtf8("AAAuthMessage(bytes32 hash)"), message.hash]));
    assertEq(inner, structHash, `${c.name}: AAAuthMessage struct hash per SPEC 7`);
  }
  if (primaryType === "Order" || primaryType === "RevokeSession") {
    // flat structs: structHash = keccak256(abi.encode(typeHash, fields...))
    const fields = types[primaryType];
    const manual = keccak256(
      coder.encode(["bytes32", ...fields.map((f) => f.type)], [typeHash, ...fields.map((f) => message[f.name])]),
    );
    assertEq(manual, structHash, `${c.name}: manual struct hash`);
  }

  // Signature shape the account accepts (SPEC 5, reason 1): 65 bytes, low s, v in {27, 28}.
  const sig = Signature.from(signatureEthers);
  if (signatureEthers.length !== 2 + 130) throw new Error(`${c.name}: signature is not 65 bytes`);
  if (!(sig.v === 27 || sig.v === 28)) throw new Error(`${c.name}: v = ${sig.v}`);
  if (BigInt(sig.s) > SECP256K1_N / 2n) throw new Error(`${c.name}: high s`);
  assertEq(recoverAddress(digest, signatureEthers), expectedSigner, `${c.name}: ecrecover(digest)`);

  return {
    name: c.name,
    chainId: c.chainId,
    account,
    primaryType,
    types,
    domain,
    message,
    encodedType,
    typeHash,
    domainSeparator,
    structHash,
    digest,
    digestEthSigUtil,
    privateKey,
    signer: expectedSigner,
    signatureEthers,
    signatureEthSigUtil,
  };
}

async function makeFile(primaryType, cases) {
  const names = new Set();
  const vectors = [];
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`duplicate vector name ${c.name}`);
    names.add(c.name);
    vectors.push(await makeVector(primaryType, c));
  }
  const digests = new Set(vectors.map((v) => v.digest));
  if (digests.size !== vectors.length) throw new Error(`${primaryType}: two vectors share a digest`);
  return { generator: GENERATOR, vectors };
}

// A pitfall worth pinning: eth-sig-util without an explicit EIP712Domain type hashes the domain
// as "EIP712Domain()" and so produces a different digest from ethers (no error is raised).
function checkDomainTypePitfall(vector) {
  const withoutDomainType = { types: vector.types, primaryType: vector.primaryType, domain: vector.domain, message: vector.message };
  const d = toHex(TypedDataUtils.eip712Hash(withoutDomainType, SignTypedDataVersion.V4));
  if (d === vector.digest) throw new Error("expected eth-sig-util to differ without an EIP712Domain type (behaviour changed?)");
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const check = process.argv.includes("--check");
  const files = {
    "order.json": await makeFile("Order", ORDER_CASES),
    "session_grant.json": await makeFile("SessionGrant", GRANT_CASES),
    "revoke_session.json": await makeFile("RevokeSession", REVOKE_CASES),
    "aa_auth_message.json": await makeFile("AAAuthMessage", MESSAGE_CASES),
  };
  checkDomainTypePitfall(files["order.json"].vectors[2]);

  const allDigests = Object.values(files).flatMap((f) => f.vectors.map((v) => v.digest));
  if (new Set(allDigests).size !== allDigests.length) throw new Error("two vectors across files share a digest");

  let stale = 0;
  if (!check) mkdirSync(OUT_DIR, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    const path = join(OUT_DIR, file);
    const text = JSON.stringify(content, null, 2) + "\n";
    if (check) {
      let current = null;
      try {
        current = readFileSync(path, "utf8");
      } catch {
        /* missing */
      }
      if (current !== text) {
        stale += 1;
        console.error(`STALE ${relative(ROOT, path)}`);
      } else {
        console.log(`ok    ${relative(ROOT, path)} (${content.vectors.length} vectors)`);
      }
    } else {
      writeFileSync(path, text);
      console.log(`wrote ${relative(ROOT, path)} (${content.vectors.length} vectors)`);
    }
  }
  console.log(
    `ethers ${GENERATOR.ethers}, @metamask/eth-sig-util ${GENERATOR["@metamask/eth-sig-util"]}: ` +
      `${allDigests.length} vectors, both clients agree on every digest and signature`,
  );
  if (stale) {
    console.error(`${stale} file(s) differ from the generator output; run: node scripts/make_vectors.mjs`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
