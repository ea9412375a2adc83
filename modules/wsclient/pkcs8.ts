// Just enough DER (ITU-T X.690) to tell what a PKCS#8 key is (RFC 5208 §5: PrivateKeyInfo is
// SEQUENCE { version INTEGER, privateKeyAlgorithm AlgorithmIdentifier, privateKey OCTET STRING }),
// so that a key the SDK's TLS cannot use is refused with a clear error before connecting.

/** RFC 8017 Appendix A.1: rsaEncryption, 1.2.840.113549.1.1.1. */
const rsaEncryption = Object.freeze([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]);
/** RFC 5480 §2.1.1: id-ecPublicKey, 1.2.840.10045.2.1. */
const ecPublicKey = Object.freeze([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);

interface Element {
	tag: number;
	/** Where the contents start and end. */
	start: number;
	end: number;
}

function element(der: Uint8Array, offset: number, limit: number): Element | undefined {
	if (offset + 2 > limit) return undefined;
	const tag = der[offset];
	let length = der[offset + 1];
	let start = offset + 2;
	if (length & 0x80) {
		// X.690 §8.1.3.5: the long form, with the count of length bytes in the low bits.
		const count = length & 0x7f;
		if (count < 1 || count > 3 || start + count > limit) return undefined;
		length = 0;
		for (let i = 0; i < count; i++) length = length * 256 + der[start + i];
		start += count;
	}
	const end = start + length;
	return end <= limit ? { tag, start, end } : undefined;
}

const Sequence = 0x30;
const Integer = 0x02;
const ObjectIdentifier = 0x06;

/** "rsa", "ec", "other" (a PKCS#8 key of another algorithm), or undefined (not PKCS#8 DER). */
export function keyAlgorithm(der: Uint8Array): "rsa" | "ec" | "other" | undefined {
	const info = element(der, 0, der.length);
	if (!info || info.tag !== Sequence) return undefined;
	const version = element(der, info.start, info.end);
	if (!version || version.tag !== Integer) return undefined;
	const algorithm = element(der, version.end, info.end);
	if (!algorithm || algorithm.tag !== Sequence) return undefined;
	const oid = element(der, algorithm.start, algorithm.end);
	if (!oid || oid.tag !== ObjectIdentifier) return undefined;
	const value = der.subarray(oid.start, oid.end);
	if (equals(value, rsaEncryption)) return "rsa";
	if (equals(value, ecPublicKey)) return "ec";
	return "other";
}

function equals(bytes: Uint8Array, expected: readonly number[]): boolean {
	if (bytes.length !== expected.length) return false;
	for (let i = 0; i < bytes.length; i++) if (bytes[i] !== expected[i]) return false;
	return true;
}

const OctetString = 0x04;

/** An RSA key's modulus (RFC 8017 A.1.2: the second INTEGER of RSAPrivateKey, inside the
 *  PKCS#8 privateKey OCTET STRING), without leading zeros; undefined for anything else. */
export function rsaModulus(der: Uint8Array): Uint8Array | undefined {
	if (keyAlgorithm(der) !== "rsa") return undefined;
	const info = element(der, 0, der.length)!;
	const version = element(der, info.start, info.end)!;
	const algorithm = element(der, version.end, info.end)!;
	const privateKey = element(der, algorithm.end, info.end);
	if (!privateKey || privateKey.tag !== OctetString) return undefined;
	const rsaKey = element(der, privateKey.start, privateKey.end);
	if (!rsaKey || rsaKey.tag !== Sequence) return undefined;
	const rsaVersion = element(der, rsaKey.start, rsaKey.end);
	const modulus = rsaVersion && element(der, rsaVersion.end, rsaKey.end);
	if (!modulus || modulus.tag !== Integer) return undefined;
	let start = modulus.start;
	while (start < modulus.end - 1 && der[start] === 0) start++;
	return der.subarray(start, modulus.end);
}
