// A wallet written with someone else's stack: viem's toSmartAccount implemented for an aa-auth account,
// and one call sent as a session-key user operation through an ERC-7769 bundler (createBundlerClient).
//
// node scripts/viem/session_op.mjs < request.json   with request
//   {"rpcUrl", "bundlerUrl", "chainId", "account", "sessionKey" (0x private key), "to", "value", "data"}
// prints {"userOpHash", "transactionHash", "success", "actualGasCost", "nonce"} as one JSON line.
import { readFileSync } from "node:fs"
import { createPublicClient, defineChain, encodeFunctionData, http, parseAbi } from "viem"
import {
  createBundlerClient, entryPoint08Abi, entryPoint08Address, getUserOperationHash, toSmartAccount,
} from "viem/account-abstraction"
import { privateKeyToAccount } from "viem/accounts"

const request = JSON.parse(readFileSync(0, "utf8"))
const chain = defineChain({
  id: request.chainId, name: "aa-auth local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [request.rpcUrl] } },
})
const client = createPublicClient({ chain, transport: http(request.rpcUrl) })
const sessionKey = privateKeyToAccount(request.sessionKey)
const accountAbi = parseAbi([
  "function execute(address target, uint256 value, bytes data)",
  "function executeBatch((address target, uint256 value, bytes data)[] calls)",
])
const entryPoint = { abi: entryPoint08Abi, address: entryPoint08Address, version: "0.8" }
// SPEC section 6: a session key's operations use the nonce lane uint192(uint160(key)), and no other.
const lane = BigInt(sessionKey.address)

const account = await toSmartAccount({
  client,
  entryPoint,
  async getAddress() { return request.account },
  async getFactoryArgs() { return { factory: undefined, factoryData: undefined } },  // already deployed
  async getNonce() {
    return client.readContract({ ...entryPoint, functionName: "getNonce", args: [request.account, lane] })
  },
  async encodeCalls(calls) {
    if (calls.length === 1) {
      const [call] = calls
      return encodeFunctionData({ abi: accountAbi, functionName: "execute", args: [call.to, call.value ?? 0n, call.data ?? "0x"] })
    }
    return encodeFunctionData({
      abi: accountAbi, functionName: "executeBatch",
      args: [calls.map((c) => ({ target: c.to, value: c.value ?? 0n, data: c.data ?? "0x" }))],
    })
  },
  async decodeCalls() { throw new Error("not needed here") },
  // aa-auth's stub_signature (aa_auth/erc4337/userops.py): low s, v 28, recovers to no key; validation costs what it does signed.
  async getStubSignature() {
    return "0xfffffffffffffffffffffffffffffff0000000000000000000000000000000007aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1c"
  },
  // The key signs the v0.8 userOpHash (an EIP-712 digest) itself: 65 bytes, no message prefix.
  async signUserOperation(parameters) {
    const { chainId = chain.id, ...userOperation } = parameters
    const hash = getUserOperationHash({
      chainId, entryPointAddress: entryPoint.address, entryPointVersion: "0.8",
      userOperation: { ...userOperation, sender: request.account },
    })
    return sessionKey.sign({ hash })
  },
  async signMessage() { throw new Error("session keys never sign ERC-1271 messages (SPEC section 7)") },
  async signTypedData() { throw new Error("session keys never sign ERC-1271 messages (SPEC section 7)") },
})

const bundler = createBundlerClient({ client, chain, transport: http(request.bundlerUrl) })
const userOpHash = await bundler.sendUserOperation({
  account, calls: [{ to: request.to, value: BigInt(request.value ?? 0), data: request.data ?? "0x" }],
})
const receipt = await bundler.waitForUserOperationReceipt({ hash: userOpHash, timeout: 60_000 })
console.log(JSON.stringify({
  userOpHash, transactionHash: receipt.receipt.transactionHash, success: receipt.success,
  actualGasCost: receipt.actualGasCost.toString(), nonce: receipt.nonce.toString(),
}))
