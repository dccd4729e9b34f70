/** Secrets that never reach a script or a client, whatever fields are asked for. */
export const SECRET_USER_FIELDS = ['password', 'tfa_secret', 'token', 'auth_data'] as const;

export function redactUser<T extends Record<string, unknown>>(user: T): Omit<T, (typeof SECRET_USER_FIELDS)[number]> {
	const copy: Record<string, unknown> = { ...user };
	for (const field of SECRET_USER_FIELDS) delete copy[field];
	return copy as Omit<T, (typeof SECRET_USER_FIELDS)[number]>;
}
