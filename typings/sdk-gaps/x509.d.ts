// The SDK's X.509 decoder ($(MODULES)/crypt/etc/x509) has no typings; tlsserver/tls/clientcert
// checks client certificates with it. Only what it uses is declared; listed with the module in
// modules/tlsserver/tls/manifest.json so that mcconfig's TypeScript finds it.
declare module "x509" {
	type Certificate = ArrayBuffer | HostBuffer | ArrayBufferView;
	const X509: {
		/** The to-be-signed part, the signature algorithm and the signature. */
		decode(certificate: Certificate): { tbs: Uint8Array; algo: number[]; sig: ArrayBuffer; spki: object };
		/** The to-be-signed part's fields; Names stay DER (views into the certificate). */
		decodeTBS(tbs: Uint8Array): { issuer: Uint8Array; subject: Uint8Array; validity: { from: number; to: number } };
		/** The public key: {modulus, exponent} for RSA, {curve, pub} for EC, {} otherwise. */
		decodeSPKI(certificate: Certificate): object;
		/** An extension's value (DER) by its OID, or undefined. */
		decodeExtension(certificate: Certificate, oid: number[]): ArrayBuffer | undefined;
	};
	export default X509;
}
