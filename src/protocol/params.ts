// Chrysalis (IOTA 1.5) protocol constants. Sources: TIP-6/7/8/12/15 and iota.go@chrysalis.

export const MAX_MESSAGE_LENGTH = 32768;
/** networkId 8 + parents count 1 + one parent 32 + payload length 4 + nonce 8. */
export const MIN_MESSAGE_LENGTH = 53;
export const MIN_PARENTS = 1;
export const MAX_PARENTS = 8;
export const NONCE_LENGTH = 8;

export const MESSAGE_ID_LENGTH = 32;
export const TRANSACTION_ID_LENGTH = 32;
export const MILESTONE_ID_LENGTH = 32;
/** transaction ID 32 + u16 output index. */
export const OUTPUT_ID_LENGTH = 34;
export const ED25519_ADDRESS_LENGTH = 32;
export const ED25519_PUBLIC_KEY_LENGTH = 32;
export const ED25519_SIGNATURE_LENGTH = 64;
export const ED25519_SEED_LENGTH = 32;
export const MERKLE_ROOT_LENGTH = 32;
/** Legacy (ternary) tail transaction hash in a migrated funds entry. */
export const TAIL_TRANSACTION_HASH_LENGTH = 49;

export const TOTAL_SUPPLY = 2779530283277761n;

export const MIN_INPUTS = 1;
export const MAX_INPUTS = 127;
export const MIN_OUTPUTS = 1;
export const MAX_OUTPUTS = 127;
/** TIP-7: transaction output index must be < 127. */
export const MAX_OUTPUT_INDEX = 126;

export const MIN_INDEX_LENGTH = 1;
export const MAX_INDEX_LENGTH = 64;

/** TIP-15: an output below this amount is a dust output. */
export const DUST_THRESHOLD = 1_000_000n;
/** TIP-15: minimum amount of a SigLockedDustAllowanceOutput. */
export const MIN_DUST_ALLOWANCE_DEPOSIT = 1_000_000n;
/** TIP-15: each full 100_000 of dust allowance permits one dust output... */
export const DUST_ALLOWANCE_DIVISOR = 100_000n;
/** ...up to this many dust outputs per address. */
export const MAX_DUST_OUTPUTS_PER_ADDRESS = 100;

export const MIN_MILESTONE_KEYS = 1;
/** Counts are a u8 on the wire. */
export const MAX_MILESTONE_KEYS = 255;

export const MIN_MIGRATED_FUNDS_ENTRIES = 1;
export const MAX_MIGRATED_FUNDS_ENTRIES = 127;
export const MIN_MIGRATED_FUNDS_DEPOSIT = 1_000_000n;

// Type tags below the payload level (all u8 on the wire).
export const TRANSACTION_ESSENCE_TYPE = 0;
export const INPUT_TYPE_UTXO = 0;
export const INPUT_TYPE_TREASURY = 1;
export const OUTPUT_TYPE_SIG_LOCKED_SINGLE = 0;
export const OUTPUT_TYPE_SIG_LOCKED_DUST_ALLOWANCE = 1;
export const OUTPUT_TYPE_TREASURY = 2;
export const ADDRESS_TYPE_ED25519 = 0;
export const SIGNATURE_TYPE_ED25519 = 0;
export const UNLOCK_BLOCK_SIGNATURE = 0;
export const UNLOCK_BLOCK_REFERENCE = 1;

export const BECH32_HRP_MAINNET = "iota";
export const BECH32_HRP_TESTNET = "atoi";

/** Curl-P-81 hash length in trits; one PoW block. */
export const CURL_HASH_TRITS = 243;
