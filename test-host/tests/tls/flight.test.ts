// modules/tlsserver/flight: what the TLS server reads of a client's handshake before its
// ChangeCipherSpec, in the pieces the SDK's session reads (a record header, then its body, in as
// many reads as the bytes came in). The whole handshake against real clients is in
// server.test.ts and client-cert.test.ts; here, the edges those clients never produce.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { FirmwareRealm, projectRoot } from "../../runtime/realm.ts";

let flight: any;
let realm: FirmwareRealm;
before(async () => {
	realm = await FirmwareRealm.create({ manifest: path.join(projectRoot, "modules/tlsserver/tls/manifest.json"), trace: () => {} });
	flight = await realm.import("tlsserver/flight");
});

const record = (type: number, body: number[]) => [type, 3, 3, body.length >> 8, body.length & 0xff, ...body];
const message = (type: number, body: number[]) => [type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff, ...body];
const clientHello = message(1, [3, 3, ...new Array(32).fill(7), 0, 0, 2, 0, 0x3c, 1, 0]);
const certificate = (size: number) => message(11, [0, (size + 3) >> 8, (size + 3) & 0xff, 0, size >> 8, size & 0xff, ...new Array(size).fill(0x30)]);
const emptyCertificate = message(11, [0, 0, 0]);
const keyExchange = message(16, [1, 0, ...new Array(256).fill(9)]);
const certificateVerify = message(15, [4, 1, 1, 0, ...new Array(256).fill(5)]);
const changeCipherSpec = record(20, [1]);

/** Feeds `bytes` in reads of `size` (as the session reads them), each a realm Uint8Array the
 *  flight may rewrite; returns what came through, and the first refusal. */
function feed(subject: any, bytes: number[], size = bytes.length) {
	const seen: number[] = [];
	for (let at = 0; at < bytes.length; at += size) {
		const view = new (realm.services.global as any).Uint8Array(bytes.slice(at, at + size));
		const refusal = subject.inspect(view);
		seen.push(...Array.from(view as Uint8Array));
		if (refusal) return { seen, refusal: { reason: String(refusal.reason), alert: Number(refusal.alert) } };
	}
	return { seen, refusal: undefined };
}

describe("a client's flight", () => {
	test("with a certificate, read a byte at a time: the CertificateVerify passes as a ServerHelloDone, nothing else changes", () => {
		const subject = new flight.ClientFlight(true);
		const bytes = [...record(22, clientHello), ...record(22, certificate(600)), ...record(22, keyExchange), ...record(22, certificateVerify), ...changeCipherSpec];
		const { seen, refusal } = feed(subject, bytes, 1);
		assert.equal(refusal, undefined);
		const at = bytes.length - changeCipherSpec.length - certificateVerify.length;
		assert.equal(seen[at], 14);
		assert.deepEqual([...seen.slice(0, at), ...seen.slice(at + 1)], [...bytes.slice(0, at), ...bytes.slice(at + 1)]);
		assert.equal(subject.certificateSent, true);
		assert.equal(subject.done, true);
	});

	test("messages sharing one record, and one message spread over two records", () => {
		const subject = new flight.ClientFlight(true);
		const both = [...certificate(40), ...keyExchange, ...certificateVerify];
		const bytes = [...record(22, clientHello.slice(0, 10)), ...record(22, clientHello.slice(10)), ...record(22, both), ...changeCipherSpec];
		const { seen, refusal } = feed(subject, bytes, 7);
		assert.equal(refusal, undefined);
		assert.equal(seen.filter((byte, i) => byte !== bytes[i]).length, 1);
	});

	test("an empty Certificate is let through (the certificate check refuses it), and needs no CertificateVerify", () => {
		const subject = new flight.ClientFlight(true);
		const { refusal } = feed(subject, [...record(22, clientHello), ...record(22, emptyCertificate), ...record(22, keyExchange), ...changeCipherSpec]);
		assert.equal(refusal, undefined);
		assert.equal(subject.certificateSent, false);
	});

	test("after the ChangeCipherSpec nothing is looked at (it is encrypted)", () => {
		const subject = new flight.ClientFlight(false);
		const { refusal } = feed(subject, [...record(22, clientHello), ...record(22, keyExchange), ...changeCipherSpec, ...record(22, [99, 1, 2, 3])]);
		assert.equal(refusal, undefined);
	});
});

describe("refusals", () => {
	const cases: Array<[string, boolean, number[], RegExp, number]> = [
		["plain HTTP", false, [...Buffer.from("GET / HTTP/1.1\r\n")], /plain HTTP/, 50],
		["bytes that are not a record", false, [0x99, 1, 2, 3, 4, 5], /not a TLS record/, 50],
		["a record version that is not 3.x", false, [22, 2, 0, 0, 4], /not a TLS record/, 50],
		["a record longer than TLS allows", false, [22, 3, 3, 0x48, 0x01], /longer/, 22],
		["a ServerHelloDone from a client", false, record(22, message(14, [])), /type 14/, 10],
		["a Certificate before the ClientHello", true, record(22, certificate(10)), /out of order/, 10],
		["two ClientHellos", false, [...record(22, clientHello), ...record(22, clientHello)], /out of order/, 10],
		["a certificate the server did not ask for", false, [...record(22, clientHello), ...record(22, certificate(10))], /did not ask/, 10],
		["no Certificate when one was asked for", true, [...record(22, clientHello), ...record(22, keyExchange)], /asked for/, 10],
		["a certificate and no CertificateVerify", true, [...record(22, clientHello), ...record(22, certificate(10)), ...record(22, keyExchange), ...changeCipherSpec], /without a CertificateVerify/, 10],
		["a CertificateVerify after an empty Certificate", true, [...record(22, clientHello), ...record(22, emptyCertificate), ...record(22, keyExchange), ...record(22, certificateVerify)], /without a client certificate/, 10],
		["a ChangeCipherSpec before the key exchange", false, [...record(22, clientHello), ...changeCipherSpec], /before the ClientKeyExchange/, 10],
		["application data during the handshake", false, [...record(22, clientHello), ...record(23, [1, 2, 3])], /application data/, 10],
	];
	for (const [name, requested, bytes, reason, alert] of cases)
		test(`${name}: alert ${alert}`, () => {
			const { refusal } = feed(new flight.ClientFlight(requested), bytes, 3);
			assert.ok(refusal, "refused");
			assert.match(refusal.reason, reason);
			assert.equal(refusal.alert, alert);
		});
});

test("the CertificateRequest: rsa_sign, rsa_pkcs1_sha256, and each CA's name with its length", () => {
	const names = [[0x30, 3, 1, 2, 3], [0x30, 1, 9]];
	const request = Array.from(flight.certificateRequest(names.map((name) => new (realm.services.global as any).Uint8Array(name))) as Uint8Array);
	const body = [1, 1, 0, 2, 4, 1, 0, 12, 0, 5, ...names[0], 0, 3, ...names[1]];
	assert.deepEqual(request, message(13, body));
});
