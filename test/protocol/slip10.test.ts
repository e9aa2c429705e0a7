// SLIP-10 Ed25519 derivation: the spec's test vectors, and equality with iota.js 1.8.6 for IOTA's
// BIP-44 paths.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { Ed25519Address, Ed25519Seed, generateBip44Path } from "@iota/iota.js";
import { ed25519PublicKey } from "../../src/protocol/ed25519.ts";
import { fromHex, toHex } from "../../src/protocol/hex.ts";
import {
  bip44Path,
  deriveBip44Seed,
  deriveEd25519Seed,
  ed25519AddressOfSeed,
  parseSlip10Path,
  slip10Derive,
  slip10MasterKey,
} from "../../src/protocol/slip10.ts";
import { assertCode } from "./_helpers.ts";

// @iota/crypto.js has no type declarations this project resolves; only Bip32Path is needed.
interface Bip32PathLike {
  numberSegments(): number[];
}
const iotaCrypto = createRequire(import.meta.url)("@iota/crypto.js") as {
  Bip32Path: new (path: string) => Bip32PathLike;
};

// SLIP-0010, "Test vector 1 for ed25519" and "Test vector 2 for ed25519"
// (https://github.com/satoshilabs/slips/blob/master/slip-0010.md). Public keys without the 00 prefix.
const VECTORS: {
  seed: string;
  chain: { path: string; chainCode: string; privateKey: string; publicKey: string }[];
}[] = [
  {
    seed: "000102030405060708090a0b0c0d0e0f",
    chain: [
      {
        path: "m",
        chainCode: "90046a93de5380a72b5e45010748567d5ea02bbf6522f979e05c0d8d8ca9fffb",
        privateKey: "2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7",
        publicKey: "a4b2856bfec510abab89753fac1ac0e1112364e7d250545963f135f2a33188ed",
      },
      {
        path: "m/0'",
        chainCode: "8b59aa11380b624e81507a27fedda59fea6d0b779a778918a2fd3590e16e9c69",
        privateKey: "68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3",
        publicKey: "8c8a13df77a28f3445213a0f432fde644acaa215fc72dcdf300d5efaa85d350c",
      },
      {
        path: "m/0'/1'",
        chainCode: "a320425f77d1b5c2505a6b1b27382b37368ee640e3557c315416801243552f14",
        privateKey: "b1d0bad404bf35da785a64ca1ac54b2617211d2777696fbffaf208f746ae84f2",
        publicKey: "1932a5270f335bed617d5b935c80aedb1a35bd9fc1e31acafd5372c30f5c1187",
      },
      {
        path: "m/0'/1'/2'",
        chainCode: "2e69929e00b5ab250f49c3fb1c12f252de4fed2c1db88387094a0f8c4c9ccd6c",
        privateKey: "92a5b23c0b8a99e37d07df3fb9966917f5d06e02ddbd909c7e184371463e9fc9",
        publicKey: "ae98736566d30ed0e9d2f4486a64bc95740d89c7db33f52121f8ea8f76ff0fc1",
      },
      {
        path: "m/0'/1'/2'/2'",
        chainCode: "8f6d87f93d750e0efccda017d662a1b31a266e4a6f5993b15f5c1f07f74dd5cc",
        privateKey: "30d1dc7e5fc04c31219ab25a27ae00b50f6fd66622f6e9c913253d6511d1e662",
        publicKey: "8abae2d66361c879b900d204ad2cc4984fa2aa344dd7ddc46007329ac76c429c",
      },
      {
        path: "m/0'/1'/2'/2'/1000000000'",
        chainCode: "68789923a0cac2cd5a29172a475fe9e0fb14cd6adb5ad98a3fa70333e7afa230",
        privateKey: "8f94d394a8e8fd6b1bc2f3f49f5c47e385281d5c17e65324b0f62483e37e8793",
        publicKey: "3c24da049451555d51a7014a37337aa4e12d41e485abccfa46b47dfb2af54b7a",
      },
    ],
  },
  {
    seed:
      "fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c6966" +
      "63605d5a5754514e4b484542",
    chain: [
      {
        path: "m",
        chainCode: "ef70a74db9c3a5af931b5fe73ed8e1a53464133654fd55e7a66f8570b8e33c3b",
        privateKey: "171cb88b1b3c1db25add599712e36245d75bc65a1a5c9e18d76f9f2b1eab4012",
        publicKey: "8fe9693f8fa62a4305a140b9764c5ee01e455963744fe18204b4fb948249308a",
      },
      {
        path: "m/0'",
        chainCode: "0b78a3226f915c082bf118f83618a618ab6dec793752624cbeb622acb562862d",
        privateKey: "1559eb2bbec5790b0c65d8693e4d0875b1747f4970ae8b650486ed7470845635",
        publicKey: "86fab68dcb57aa196c77c5f264f215a112c22a912c10d123b0d03c3c28ef1037",
      },
      {
        path: "m/0'/2147483647'",
        chainCode: "138f0b2551bcafeca6ff2aa88ba8ed0ed8de070841f0c4ef0165df8181eaad7f",
        privateKey: "ea4f5bfe8694d8bb74b7b59404632fd5968b774ed545e810de9c32a4fb4192f4",
        publicKey: "5ba3b9ac6e90e83effcd25ac4e58a1365a9e35a3d3ae5eb07b9e4d90bcf7506d",
      },
      {
        path: "m/0'/2147483647'/1'",
        chainCode: "73bd9fff1cfbde33a1b846c27085f711c0fe2d66fd32e139d3ebc28e5a4a6b90",
        privateKey: "3757c7577170179c7868353ada796c839135b3d30554bbb74a4b1e4a5a58505c",
        publicKey: "2e66aa57069c86cc18249aecf5cb5a9cebbfd6fadeab056254763874a9352b45",
      },
      {
        path: "m/0'/2147483647'/1'/2147483646'",
        chainCode: "0902fe8a29f9140480a00ef244bd183e8a13288e4412d8389d140aac1794825a",
        privateKey: "5837736c89570de861ebc173b1086da4f505d4adb387c6a1b1342d5e4ac9ec72",
        publicKey: "e33c0f7d81d843c572275f287498e8d408654fdf0d1e065b84e2e6f157aab09b",
      },
      {
        path: "m/0'/2147483647'/1'/2147483646'/2'",
        chainCode: "5d70af781f3a37b829f0d060924d5e960bdc02e85423494afc0b1a41bbe196d4",
        privateKey: "551d333177df541ad876a60ea71f00447931c0a9da16f227c11ea080d7391b8d",
        publicKey: "47150c75db263559a70d5778bf36abbab30fb061ad69f69ece61a72b0cfa4fc0",
      },
    ],
  },
];

/** What iota.js 1.8.6 derives: the 32-byte seed and the public key of the path's key pair. */
function iotaJs(seed: Uint8Array, path: Bip32PathLike | ReturnType<typeof generateBip44Path>) {
  const pair = new Ed25519Seed(seed)
    .generateSeedFromPath(path as ReturnType<typeof generateBip44Path>)
    .keyPair();
  return { seed: pair.privateKey.slice(0, 32), publicKey: pair.publicKey };
}

describe("SLIP-10 Ed25519", () => {
  for (const [n, vector] of VECTORS.entries()) {
    for (const step of vector.chain) {
      it(`test vector ${n + 1}: ${step.path}`, () => {
        const seed = fromHex(vector.seed);
        const key = slip10Derive(seed, step.path);
        assert.equal(toHex(key.chainCode), step.chainCode);
        assert.equal(toHex(key.privateKey), step.privateKey);
        assert.equal(toHex(ed25519PublicKey(key.privateKey)), step.publicKey);
        assert.equal(toHex(deriveEd25519Seed(seed, step.path)), step.privateKey);
        assert.deepEqual(slip10Derive(seed, parseSlip10Path(step.path)), key);
        // and iota.js agrees
        const theirs = iotaJs(seed, new iotaCrypto.Bip32Path(step.path));
        assert.equal(toHex(theirs.seed), step.privateKey);
        assert.equal(toHex(theirs.publicKey), step.publicKey);
      });
    }
  }

  it("the master key is the empty path", () => {
    const seed = fromHex(VECTORS[0]!.seed);
    assert.deepEqual(slip10MasterKey(seed), slip10Derive(seed, []));
    assert.deepEqual(slip10MasterKey(seed), slip10Derive(seed, "m"));
  });

  it("paths: every level hardened, within range", () => {
    assert.deepEqual(parseSlip10Path("m/44'/4218'/0'/0'/0'"), [44, 4218, 0, 0, 0]);
    assert.deepEqual(parseSlip10Path("m/1h/2H"), [1, 2]);
    assert.deepEqual(parseSlip10Path("m"), []);
    assertCode(() => parseSlip10Path("m/0'/1"), "PROTO_INVALID_ARGUMENT", "hardened indexes only");
    assertCode(() => parseSlip10Path("44'/0'"), "PROTO_INVALID_ARGUMENT", 'start with "m"');
    assertCode(() => parseSlip10Path("m/x'"), "PROTO_INVALID_ARGUMENT", "not an index");
    assertCode(() => parseSlip10Path("m/"), "PROTO_INVALID_ARGUMENT", "not an index");
    assertCode(() => parseSlip10Path("m/2147483648'"), "PROTO_INVALID_ARGUMENT", "from 0 to 2147483647");
    assertCode(() => slip10Derive(new Uint8Array(32), [-1]), "PROTO_INVALID_ARGUMENT");
    assertCode(() => slip10Derive(new Uint8Array(32), [1.5]), "PROTO_INVALID_ARGUMENT");
    assertCode(() => slip10Derive(new Uint8Array(32), [2 ** 31]), "PROTO_INVALID_ARGUMENT");
    assertCode(() => bip44Path(0, false, 2 ** 31), "PROTO_INVALID_ARGUMENT");
  });
});

describe("IOTA BIP-44 addresses", () => {
  it("bip44Path is m/44'/4218'/account'/internal'/index', as iota.js writes it", () => {
    assert.equal(bip44Path(0, false, 0), "m/44'/4218'/0'/0'/0'");
    assert.equal(bip44Path(3, true, 17), "m/44'/4218'/3'/1'/17'");
    // iota.js takes (account, index, internal)
    assert.equal(bip44Path(3, true, 17), generateBip44Path(3, 17, true).toString());
    assert.equal(
      bip44Path(2147483647, false, 2147483647),
      generateBip44Path(2147483647, 2147483647, false).toString(),
    );
  });

  const triples: [number, boolean, number][] = [
    [0, false, 0],
    [0, false, 1],
    [0, true, 0],
    [1, false, 0],
    [5, true, 42],
    [2147483647, true, 2147483647],
  ];
  const seeds = [
    new Uint8Array(32),
    fromHex("256a818b2aac458941f7274985a410e57fb750f3a3a67969ece5bd9ae7eef5b2"),
    ...Array.from({ length: 4 }, () => new Uint8Array(randomBytes(32))),
    new Uint8Array(randomBytes(16)),
    new Uint8Array(randomBytes(64)),
    new Uint8Array(0),
  ];

  for (const [account, internal, index] of triples) {
    it(`(${account}, ${internal}, ${index}) equals iota.js for ${seeds.length} seeds`, () => {
      for (const seed of seeds) {
        const ours = deriveBip44Seed(seed, account, internal, index);
        const theirs = iotaJs(seed, generateBip44Path(account, index, internal));
        assert.equal(toHex(ours), toHex(theirs.seed), `seed ${toHex(seed)}`);
        assert.equal(toHex(ed25519PublicKey(ours)), toHex(theirs.publicKey));
        assert.equal(
          toHex(ed25519AddressOfSeed(ours)),
          toHex(new Ed25519Address(theirs.publicKey).toAddress()),
        );
        assert.deepEqual(deriveEd25519Seed(seed, bip44Path(account, internal, index)), ours);
      }
    });
  }
});
