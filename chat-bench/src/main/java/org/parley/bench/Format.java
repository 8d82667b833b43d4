package org.parley.bench;

import java.util.Locale;

/**
 * Number formatting shared by the table, the markdown and the chart.
 *
 * <p>Thread safety: stateless.
 */
final class Format {
    private Format() {
    }

    /** 1234567 -> "1.23M", 45600 -> "45.6k". */
    static String rate(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM", v / 1e6);
        }
        if (v >= 1e3) {
            return String.format(Locale.ROOT, "%.1fk", v / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", v);
    }

    /** 10000 -> "10,000". */
    static String count(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    /** 100, 1000, 10000 -> "100, 1,000 and 10,000". */
    static String counts(java.util.List<Integer> values) {
        java.util.List<String> parts = values.stream().map(v -> count(v)).toList();
        if (parts.size() < 2) {
            return String.join("", parts);
        }
        return String.join(", ", parts.subList(0, parts.size() - 1)) + " and " + parts.get(parts.size() - 1);
    }

    static String fixed(double v, int decimals) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    static String bytes(double v) {
        if (Double.isNaN(v) || v < 0) {
            return "-";
        }
        if (v >= 1 << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", v / (1 << 30));
        }
        if (v >= 1 << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", v / (1 << 20));
        }
        if (v >= 1 << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", v / (1 << 10));
        }
        return String.format(Locale.ROOT, "%.0f B", v);
    }

    /** Microseconds as µs or ms. */
    static String micros(double us) {
        if (Double.isNaN(us)) {
            return "-";
        }
        return us >= 1000 ? String.format(Locale.ROOT, "%.2f ms", us / 1000) : String.format(Locale.ROOT, "%.0f µs", us);
    }
}
