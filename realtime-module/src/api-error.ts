/** The message of a failed request to Directus: its first error, else the transport's. */
export function apiErrorMessage(error: unknown): string {
	const failure = error as { response?: { data?: { errors?: { message?: string }[] } }; message?: string };
	return failure.response?.data?.errors?.[0]?.message ?? failure.message ?? String(error);
}
