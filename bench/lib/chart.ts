/** A small log-log line chart as SVG text: no chart library, no network, no native download. */

export interface Series {
	label: string;
	color: string;
	dashed?: boolean;
	points: Array<{ x: number; y: number }>;
}

export interface ChartOptions {
	title: string;
	subtitle: string;
	xLabel: string;
	yLabel: string;
	/** Legend rows; by default one per series. */
	legend?: Array<{ label: string; color: string; dashed?: boolean }>;
	width?: number;
	height?: number;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Powers of ten covering [min, max], with 2x and 5x steps in between for the gridlines. */
function logTicks(min: number, max: number): { major: number[]; minor: number[] } {
	const major: number[] = [];
	const minor: number[] = [];
	for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
		major.push(10 ** e);
		minor.push(2 * 10 ** e, 5 * 10 ** e);
	}
	return { major, minor };
}

const formatNumber = (v: number) => (v >= 1000 ? v.toLocaleString('en-US') : v >= 1 ? String(v) : String(Number(v.toPrecision(2))));

export function logLogChart(series: Series[], options: ChartOptions): string {
	const width = options.width ?? 900;
	const height = options.height ?? 560;
	const margin = { top: 78, right: 290, bottom: 62, left: 78 };
	const plotW = width - margin.left - margin.right;
	const plotH = height - margin.top - margin.bottom;
	const xs = series.flatMap((s) => s.points.map((p) => p.x)).filter((v) => v > 0);
	const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter((v) => v > 0 && Number.isFinite(v));
	const xMin = 10 ** Math.floor(Math.log10(Math.min(...xs)));
	const xMax = 10 ** Math.ceil(Math.log10(Math.max(...xs)));
	const yMin = 10 ** Math.floor(Math.log10(Math.min(...ys)));
	const yMax = 10 ** Math.ceil(Math.log10(Math.max(...ys)));
	const x = (v: number) => margin.left + ((Math.log10(v) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * plotW;
	const y = (v: number) => margin.top + plotH - ((Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotH;

	const out: string[] = [];
	out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`);
	out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
	out.push(`<text x="${margin.left}" y="32" font-size="19" font-weight="bold" fill="#111">${escape(options.title)}</text>`);
	out.push(`<text x="${margin.left}" y="54" font-size="12.5" fill="#555">${escape(options.subtitle)}</text>`);

	const yt = logTicks(yMin, yMax);
	for (const v of yt.minor.filter((v) => v > yMin && v < yMax)) out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#f0f0f0"/>`);
	for (const v of yt.major.filter((v) => v >= yMin && v <= yMax)) {
		out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#d8d8d8"/>`);
		out.push(`<text x="${margin.left - 8}" y="${y(v) + 4}" font-size="12" text-anchor="end" fill="#333">${formatNumber(v)}</text>`);
	}
	for (const v of yt.minor.filter((v) => v > yMin && v < yMax)) out.push(`<text x="${margin.left - 8}" y="${y(v) + 4}" font-size="10" text-anchor="end" fill="#999">${formatNumber(v)}</text>`);
	const xt = logTicks(xMin, xMax);
	for (const v of xt.major.filter((v) => v >= xMin && v <= xMax)) {
		out.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#d8d8d8"/>`);
		out.push(`<text x="${x(v)}" y="${margin.top + plotH + 20}" font-size="12" text-anchor="middle" fill="#333">${formatNumber(v)}</text>`);
	}
	out.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
	out.push(`<text x="${margin.left + plotW / 2}" y="${height - 16}" font-size="13" text-anchor="middle" fill="#222">${escape(options.xLabel)}</text>`);
	out.push(`<text transform="translate(22 ${margin.top + plotH / 2}) rotate(-90)" font-size="13" text-anchor="middle" fill="#222">${escape(options.yLabel)}</text>`);

	for (const s of series) {
		const pts = s.points.filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.y));
		if (pts.length === 0) continue;
		const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
		out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.dashed ? 1.8 : 2.6}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
		for (const p of pts) {
			out.push(s.dashed
				? `<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3" fill="#fff" stroke="${s.color}" stroke-width="1.5"/>`
				: `<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="4.2" fill="${s.color}"/>`);
		}
		if (!s.dashed) {
			const lastPoint = pts[pts.length - 1]!;
			out.push(`<text x="${x(lastPoint.x) + 8}" y="${y(lastPoint.y) + 4}" font-size="11.5" font-weight="bold" fill="${s.color}">${formatNumber(Number(lastPoint.y.toPrecision(3)))} ms</text>`);
		}
	}

	const legendX = margin.left + plotW + 84;
	(options.legend ?? series).forEach((s, i) => {
		const ly = margin.top + 12 + i * 24;
		out.push(`<line x1="${legendX}" x2="${legendX + 26}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="${s.dashed ? 1.8 : 2.6}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
		out.push(`<text x="${legendX + 34}" y="${ly + 4}" font-size="12" fill="#222">${escape(s.label)}</text>`);
	});
	out.push('</svg>');
	return out.join('\n');
}
