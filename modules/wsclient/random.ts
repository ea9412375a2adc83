// RFC 6455 §5.3 and §10.3: masking keys and the Sec-WebSocket-Key must be unpredictable, so they
// come from the platform's random generator (the SDK's "rng"), not Math.random.
import RNG from "rng";

export function random(count: number): Uint8Array {
	return new Uint8Array(RNG.get(count));
}
