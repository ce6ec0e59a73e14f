/** Written by scripts/finish-build.mjs, the last step of every build. */
export const STAMP: string
/** Why dist/ under `root` must be built again, or undefined when it is up to date. */
export function staleBuild(root?: string): string | undefined
