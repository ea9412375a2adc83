// CPU time of a process, for the benchmarks' per-message figures.
import fs from "node:fs";

/**
 * CPU time of a process (all its threads), in milliseconds: the scheduler's own nanosecond
 * count (/proc/PID/task/TID/schedstat) where the kernel has it, else utime + stime in clock
 * ticks. Linux only; undefined elsewhere or when the process is gone.
 */
export function cpuMilliseconds(pid: number | undefined): number | undefined {
	if (!pid) return undefined;
	try {
		let nanoseconds = 0;
		for (const task of fs.readdirSync(`/proc/${pid}/task`)) nanoseconds += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
		return nanoseconds / 1e6;
	} catch {
		try {
			const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
			const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
			return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
		} catch {
			return undefined;
		}
	}
}
