// The SDK's PKCS #1 v1.5 signatures ($(MODULES)/crypt/etc/pkcs1_5) have no typings;
// tlsserver/tls/clientcert verifies a client's CertificateVerify with it. Listed with the module
// in modules/tlsserver/tls/manifest.json so that mcconfig's TypeScript finds it.
declare module "pkcs1_5" {
	export default class PKCS1_5 {
		/** `oid`: the DigestInfo's hash OID ([] for any); none: the bare hash is signed. */
		constructor(key: object, priv: boolean, oid?: number[]);
		verify(hash: ArrayBuffer, signature: ArrayBuffer): boolean;
	}
}
