package org.parley.bench.attack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@code bin/attack}: runs the attack suite and prints one markdown table, a row per attack.
 *
 * <p>Exit codes: 0 the suite ran (whatever it found), 1 it could not run, 2 bad arguments.
 * Standard output carries the table; progress goes to standard error. {@code --help} or {@code -h}
 * anywhere prints {@link #help()} on standard output and exits 0, attacking nothing.
 *
 * <p>Thread safety: a program entry point.
 */
public final class AttackMain {
    private AttackMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.print(help());
            return 0;
        }
        AttackPlan plan;
        try {
            plan = AttackPlan.parse(args, System.getProperty("parley.home", "."));
        } catch (IllegalArgumentException e) {
            System.err.println("attack: " + e.getMessage());
            System.err.print(usage());
            return 2;
        }
        if (!Files.isRegularFile(plan.jar())) {
            System.err.println("attack: " + plan.jar() + " is missing; build it with mvn -B -DskipTests package");
            return 1;
        }
        try {
            List<AttackResult> results = runAll(plan);
            String table = AttackTable.markdown(results);
            System.out.print(table);
            System.out.flush();
            if (plan.out() != null) {
                Files.writeString(plan.out(), document(plan, args, table), StandardCharsets.UTF_8);
                System.err.println("attack: wrote " + plan.out());
            }
            return 0;
        } catch (IOException e) {
            System.err.println("attack: " + e.getMessage());
            return 1;
        }
    }

    /** "- Servers: parley.jar built from commit abc1234\n", or "" when git cannot say. */
    private static String commit(AttackPlan plan) {
        Path home = plan.jar().toAbsolutePath().getParent().getParent().getParent(); // <home>/chat-apps/target/parley.jar
        try {
            Process git = new ProcessBuilder("git", "-C", home.toString(), "log", "-1", "--format=%h %s")
                    .redirectErrorStream(true).start();
            if (!git.waitFor(5, TimeUnit.SECONDS)) {
                git.destroyForcibly();
                return "";
            }
            String line = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return git.exitValue() == 0 && !line.isEmpty() ? "- Servers: `parley.jar` of the work tree at " + line + "\n" : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** What {@code bin/attack --help} prints: the usage, what the suite does, every option and the attacks. */
    static String help() {
        List<String[]> options = List.of(
                new String[] {"--only <id>[,<id>...]", "runs these attacks only (listed below)"},
                new String[] {"--seconds N", "how long each attack runs, 1 to 120 (default " + AttackPlan.DEFAULT_SECONDS + ")"},
                new String[] {"--scale F", "a factor on every count (connections, posts, sockets), 0.001 to 1 (default 1)"},
                new String[] {"--after N", "seconds the good client goes on after each attack, 1 to 60 (default "
                        + AttackPlan.DEFAULT_AFTER_SECONDS + ")"},
                new String[] {"--heap 1g", "the servers' -Xmx (default " + AttackPlan.DEFAULT_HEAP + ")"},
                new String[] {"--jar parley.jar", "the launcher jar whose servers are attacked (default chat-apps/target/parley.jar)"},
                new String[] {"--out file.md", "also writes the table to that file"},
                new String[] {"-h, --help", "prints this help and exits"});
        int width = options.stream().mapToInt(o -> o[0].length()).max().orElse(0);
        StringBuilder b = new StringBuilder(AttackPlan.USAGE).append("\n\n")
                .append("Runs each attack against a real server of parley.jar while a good client posts\n")
                .append("and receives, and prints a table: the good client's delivery during and after,\n")
                .append("whether the server still answers, how it takes SIGTERM, and its peak RSS.\n\noptions:\n");
        for (String[] o : options) {
            b.append("  ").append(o[0]).append(" ".repeat(width - o[0].length() + 3)).append(o[1]).append('\n');
        }
        return b.append('\n').append(attackList()).toString();
    }

    /** What a bad argument gets on standard error: the usage line and the attacks. */
    private static String usage() {
        return AttackPlan.USAGE + "\n" + attackList();
    }

    private static String attackList() {
        StringBuilder b = new StringBuilder("attacks:\n");
        for (Attack a : Attacks.all()) {
            b.append("  ").append(a.id()).append(": ").append(a.description()).append('\n');
        }
        return b.toString();
    }

    /** Runs the plan's attacks one after the other and returns their rows. */
    static List<AttackResult> runAll(AttackPlan plan) throws IOException {
        Path logDir = Files.createTempDirectory("parley-attack-");
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "attack-rss-sampler");
            t.setDaemon(true);
            return t;
        });
        Thread hook = new Thread(ServerProcess::killAll, "attack-kill-servers");
        Runtime.getRuntime().addShutdownHook(hook); // Ctrl-C on the suite must not leave a server running
        try {
            System.err.println("attack: " + plan.attacks().size() + " attacks of " + plan.seconds() + " s at scale " + plan.scale()
                    + ", about " + plan.estimatedSeconds() + " s; servers' output in " + logDir);
            AttackRunner runner = new AttackRunner(plan, logDir, sampler);
            List<AttackResult> results = new ArrayList<>();
            for (Attack attack : plan.attacks()) {
                System.err.println("attack: " + attack.id() + "...");
                AttackResult r = runner.run(attack);
                System.err.println(AttackTable.row(r));
                results.add(r);
            }
            return results;
        } finally {
            sampler.shutdownNow();
            Runtime.getRuntime().removeShutdownHook(hook);
        }
    }

    private static String document(AttackPlan plan, String[] args, String table) {
        return "# Attack suite\n\n"
                + "- Command: `bin/attack" + (args.length == 0 ? "" : " " + String.join(" ", args)) + "`\n"
                + commit(plan)
                + "- Run: " + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")) + ", "
                + Runtime.getRuntime().availableProcessors() + " cores; each server `-Xmx" + plan.heap() + "`, "
                + plan.seconds() + " s per attack, good clients " + plan.afterSeconds() + " s more after it, scale "
                + plan.scale() + "\n"
                + "- Good delivery: messages a good client sent in that phase and got back (ZeroMQ: posted on DEALER, "
                + "received on SUB; TCP: one topic client to another), one every 50 ms. Good clients connect from "
                + "127.0.0.1, raw TCP attackers from 127.0.0.2 to 127.0.0.254, as from other hosts.\n"
                + "- Server alive: the process still runs and a fresh client's exchange succeeds within 2 s.\n"
                + "- Peak RSS: the server JVM's VmHWM.\n\n"
                + table + "\nThe attacks:\n\n" + plan.attacks().stream()
                        .map(a -> "- `" + a.id() + "`: " + a.description() + "\n").collect(Collectors.joining());
    }
}
