// A test reporter that prints nothing while the suite runs and, at its end, one block per failure
// that has a cause of its own: the failing test or hook with its file and error. Tests cancelled
// because their suite failed are counted, not repeated, so the cause (a `before` that threw, say)
// stays visible at the end of a long log instead of somewhere above the cancelled tests.
const MAX_ERROR_CHARS = 4000;

function describeError(error) {
	const cause = error?.cause ?? error;
	const text = cause instanceof Error ? (cause.stack ?? `${cause.name}: ${cause.message}`) : String(cause);
	return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}\n… (${text.length - MAX_ERROR_CHARS} more characters)` : text;
}

export default async function* failuresReporter(source) {
	const failures = [];
	let cancelled = 0;
	for await (const event of source) {
		if (event.type !== 'test:fail') continue;
		const { name, file, line, details } = event.data;
		if (details?.error?.failureType === 'cancelledByParent') {
			cancelled += 1;
			continue;
		}
		failures.push({ name, where: file ? `${file}${line ? `:${line}` : ''}` : '', error: describeError(details?.error), type: details?.error?.failureType });
	}
	if (failures.length === 0 && cancelled === 0) return;
	yield `\n== ${failures.length} failure(s) with a cause of their own${cancelled ? `, ${cancelled} test(s) cancelled by a failing parent` : ''}\n`;
	for (const failure of failures) {
		yield `\n-- ${failure.name}${failure.type ? ` [${failure.type}]` : ''}\n   ${failure.where}\n${failure.error.replace(/^/gm, '   ')}\n`;
	}
}
