/** Larger files are refused unread: manifests, secrets and env files are small, and a huge file is a mistake (or an attack). */
export const MAX_FILE_BYTES = 1024 * 1024;
