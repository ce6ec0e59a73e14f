// What the benchmarks read of a running server from /proc (Linux).
import { readFileSync } from 'node:fs'

/** CPU time (ms) in a /proc stat file: utime + stime, in clock ticks of 10 ms. */
function cpuMsIn(statFile) {
  const fields = readFileSync(statFile, 'utf8').split(') ')[1].split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

/** CPU time (ms) used so far by a process's main thread: /proc/<pid>/task/<pid>/stat. */
export const mainThreadCpuMs = (pid) => cpuMsIn(`/proc/${pid}/task/${pid}/stat`)

/** CPU time (ms) used so far by a whole process, every thread of it (the GC's and workers' too): /proc/<pid>/stat. */
export const processCpuMs = (pid) => cpuMsIn(`/proc/${pid}/stat`)

/** A process's peak resident memory so far (VmHWM), in MB. */
export function peakRssMb(pid) {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024
}
