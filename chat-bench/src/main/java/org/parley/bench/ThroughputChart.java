package org.parley.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.imageio.ImageIO;

/**
 * Draws deliveries/s against K for every system as a PNG, both axes logarithmic, with a min-max
 * bar at each point; systems not measured are listed in the legend as such.
 *
 * <p>Thread safety: stateless; runs headless.
 */
final class ThroughputChart {
    static final int WIDTH = 900;
    static final int HEIGHT = 560;
    private static final Color[] COLORS = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd),
        new Color(0xff7f0e), new Color(0x17becf), new Color(0x8c564b), new Color(0x7f7f7f)};

    private ThroughputChart() {
    }

    static void write(Report report, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            draw(report, g);
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer in this JVM");
        }
    }

    private static void draw(Report report, Graphics2D g) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        int left = 90;
        int right = WIDTH - 260;
        int top = 50;
        int bottom = HEIGHT - 60;

        List<Integer> ks = report.plan().ks();
        double kMin = Math.log10(ks.stream().mapToInt(Integer::intValue).min().orElse(1));
        double kMax = Math.log10(ks.stream().mapToInt(Integer::intValue).max().orElse(100));
        if (kMax - kMin < 1) {
            kMax = kMin + 1;
        }
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (ThroughputResult t : report.throughput()) {
            if (t.measured()) {
                lo = Math.min(lo, t.min());
                hi = Math.max(hi, t.max());
            }
        }
        if (hi <= 0) {
            lo = 1e4;
            hi = 1e6;
        }
        double yMin = Math.floor(Math.log10(Math.max(1, lo)));
        double yMax = Math.ceil(Math.log10(hi));
        if (yMax <= yMin) {
            yMax = yMin + 1;
        }

        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("Deliveries per second against K subscribers (100-byte texts, log-log)", left, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        // Grid: one line per decade of deliveries/s, one per K measured.
        for (int d = (int) yMin; d < (int) yMax; d++) {
            for (int m : new int[] {2, 5}) { // minor lines at 2x and 5x each decade
                int y = y(d + Math.log10(m), yMin, yMax, top, bottom);
                g.setColor(new Color(0xf0f0f0));
                g.drawLine(left, y, right, y);
                g.setColor(Color.GRAY);
                g.drawString(Format.rate(m * Math.pow(10, d)), left - 50, y + 4);
            }
        }
        for (int d = (int) yMin; d <= (int) yMax; d++) {
            int y = y(d, yMin, yMax, top, bottom);
            g.setColor(new Color(0xdddddd));
            g.drawLine(left, y, right, y);
            g.setColor(Color.BLACK);
            g.drawString(Format.rate(Math.pow(10, d)), left - 50, y + 4);
        }
        for (int k : ks) {
            int x = x(Math.log10(k), kMin, kMax, left, right);
            g.setColor(new Color(0xdddddd));
            g.drawLine(x, top, x, bottom);
            g.setColor(Color.BLACK);
            g.drawString("K=" + k, x - 14, bottom + 18);
        }
        g.drawRect(left, top, right - left, bottom - top);
        g.drawString("subscribers on one channel (K)", (left + right) / 2 - 80, bottom + 40);
        g.drawString("deliveries/s", 10, top - 10);

        int legendY = top + 10;
        int colour = 0;
        for (BenchSystem s : report.systems()) {
            Color c = COLORS[colour++ % COLORS.length];
            List<int[]> points = new ArrayList<>();
            for (int k : ks) {
                Optional<ThroughputResult> t = report.find(s.name(), k);
                if (t.isEmpty()) {
                    continue;
                }
                int x = x(Math.log10(k), kMin, kMax, left, right);
                points.add(new int[] {x, y(Math.log10(t.get().median()), yMin, yMax, top, bottom)});
                g.setColor(c);
                g.setStroke(new BasicStroke(1.5f));
                g.drawLine(x, y(Math.log10(t.get().min()), yMin, yMax, top, bottom),
                        x, y(Math.log10(t.get().max()), yMin, yMax, top, bottom));
            }
            g.setColor(c);
            g.setStroke(new BasicStroke(2.5f));
            for (int i = 0; i < points.size(); i++) {
                int[] p = points.get(i);
                g.fillOval(p[0] - 5, p[1] - 5, 10, 10);
                if (i > 0) {
                    int[] q = points.get(i - 1);
                    g.drawLine(q[0], q[1], p[0], p[1]);
                }
            }
            g.fillRect(right + 20, legendY - 9, 14, 10);
            g.setColor(points.isEmpty() ? Color.GRAY : Color.BLACK);
            g.drawString(s.name() + (points.isEmpty() ? " (not measured)" : ""), right + 40, legendY);
            legendY += 22;
        }
    }

    private static int x(double logK, double min, double max, int left, int right) {
        double margin = 0.08 * (right - left);
        return (int) Math.round(left + margin + (logK - min) / (max - min) * (right - left - 2 * margin));
    }

    private static int y(double logV, double min, double max, int top, int bottom) {
        double v = Math.max(min, Math.min(max, logV));
        return (int) Math.round(bottom - (v - min) / (max - min) * (bottom - top));
    }
}
