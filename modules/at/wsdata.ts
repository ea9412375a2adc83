// ESP-AT spec §3.5 and §3.7: how a piece of a received data frame is printed as `+WS_DATA`. The
// payload is raw (no escaping): the host reads exactly the announced bytes.
import type { Output } from "at/writer";

/** §3.5 meta_data_level: where the header and the trailing CR LF go. */
export const MetaDataLevel = Object.freeze({
	/** Header and CR LF on every piece. */
	Chunk: 0,
	/** Header on a frame's first piece, CR LF after its last. */
	Frame: 1,
	/** Header on the first piece of a message's first frame, CR LF after the FIN frame's last. */
	Message: 2,
});

/** §3.5 meta_data_mask bits: which fields the header carries, in this order. */
export const MetaData = Object.freeze({
	Opcode: 1,
	Fin: 2,
	PayloadLength: 4,
	PayloadOffset: 8,
	DataLength: 16,
	TrailingCRLF: 32,
});

export interface DataFormat {
	level: number;
	mask: number;
}

/** §3.5: the format of a link that never saw AT+WSDATAFMT: level 0, mask 48 (`<id>,<len>,<data>\r\n`). */
export const defaultDataFormat: Readonly<DataFormat> = Object.freeze({ level: MetaDataLevel.Chunk, mask: MetaData.DataLength | MetaData.TrailingCRLF });

/** A piece of a data frame as the client delivers it (wsclient onChunk). */
export interface DataPiece {
	opcode: number; // 0 for a continuation frame
	fin: boolean;
	frameLength: number;
	offset: number;
	bytes: Uint8Array;
}

/** The parts of one `+WS_DATA` output for this piece, to be written together (§1.10). */
export function formatData(linkId: number, format: DataFormat, piece: DataPiece): Output[] {
	const firstOfFrame = piece.offset === 0;
	const lastOfFrame = piece.offset + piece.bytes.length >= piece.frameLength;
	let header: boolean;
	let end: boolean;
	switch (format.level) {
		case MetaDataLevel.Frame:
			header = firstOfFrame;
			end = lastOfFrame;
			break;
		case MetaDataLevel.Message:
			header = firstOfFrame && piece.opcode !== 0;
			end = lastOfFrame && piece.fin;
			break;
		default:
			header = true;
			end = true;
	}
	const parts: Output[] = [];
	if (header) {
		const mask = format.mask;
		let text = `+WS_DATA:${linkId},`;
		if (mask & MetaData.Opcode) text += `${piece.opcode},`;
		if (mask & MetaData.Fin) text += `${piece.fin ? 1 : 0},`;
		if (mask & MetaData.PayloadLength) text += `${piece.frameLength},`;
		if (mask & MetaData.PayloadOffset) text += `${piece.offset},`;
		if (mask & MetaData.DataLength) text += `${piece.bytes.length},`;
		parts.push(text);
	}
	parts.push(piece.bytes);
	if (end && format.mask & MetaData.TrailingCRLF) parts.push("\r\n");
	return parts;
}
