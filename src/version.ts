/** stinger's version, shown by `--version`, in /api/v1/info and in audit reports. */
export const VERSION = "0.1.0";
