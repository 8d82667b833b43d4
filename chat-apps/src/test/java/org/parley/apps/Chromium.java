package org.parley.apps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;

/**
 * A headless Chromium driven through chromedriver's W3C WebDriver HTTP API, with the JDK's HTTP
 * client: chromedriver runs as a process on a free loopback port, and each {@link Page} is one
 * browser of its own (its own profile, so two pages are two users).
 *
 * <p>Without Chromium the tests that need it are skipped with one line saying how to install it;
 * under {@code CI=true} they fail instead, so a CI run never passes without them.
 */
final class Chromium implements AutoCloseable {
    static final String INSTALL = "apt-get install chromium chromium-driver";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process driver;
    private final String base;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build(); // chromedriver speaks HTTP/1.1 only
    private final String browser;
    private final List<Page> pages = new ArrayList<>();

    private Chromium(Process driver, int port, String browser) {
        this.driver = driver;
        this.base = "http://127.0.0.1:" + port;
        this.browser = browser;
    }

    /** Starts chromedriver, or skips the test (fails it under {@code CI=true}) when Chromium is missing. */
    static Chromium start() throws Exception {
        Optional<String> browser = onPath("chromium", "chromium-browser", "google-chrome");
        Optional<String> driverPath = onPath("chromedriver");
        if (browser.isEmpty() || driverPath.isEmpty()) {
            String missing = (browser.isEmpty() ? "chromium" : "") + (browser.isEmpty() && driverPath.isEmpty() ? " and " : "")
                    + (driverPath.isEmpty() ? "chromedriver" : "");
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(missing + " not found, and CI=true requires the browser tests: " + INSTALL);
            }
            Assumptions.abort("skipped: " + missing + " not found; to run these tests: " + INSTALL);
        }
        int port = ZmqLaunchersIT.freePort();
        Process p = new ProcessBuilder(driverPath.get(), "--port=" + port, "--allowed-ips=127.0.0.1")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Chromium c = new Chromium(p, port, browser.get());
        try {
            Awaitility.await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                    .until(() -> c.call("GET", "/status", null).path("value").path("ready").asBoolean());
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    private static Optional<String> onPath(String... names) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            for (String name : names) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p.toString());
                }
            }
        }
        return Optional.empty();
    }

    /** A new browser, with a profile of its own, showing {@code url}. */
    Page open(String url) throws Exception {
        Path profile = Files.createTempDirectory("parley-chromium-");
        ObjectNode options = JSON.createObjectNode();
        options.put("binary", browser);
        options.putArray("args").add("--headless=new").add("--no-sandbox").add("--disable-gpu")
                .add("--disable-dev-shm-usage").add("--no-first-run").add("--disable-background-networking")
                .add("--disable-component-update").add("--disable-sync").add("--disable-quic")
                .add("--window-size=1000,640").add("--user-data-dir=" + profile);
        ObjectNode caps = JSON.createObjectNode();
        ObjectNode always = caps.putObject("capabilities").putObject("alwaysMatch");
        always.put("browserName", "chrome");
        always.set("goog:chromeOptions", options);
        always.put("unhandledPromptBehavior", "ignore"); // an alert stays open, for the test to see
        String session = call("POST", "/session", caps).path("value").path("sessionId").asText();
        Page page = new Page(session, profile);
        pages.add(page);
        page.go(url);
        return page;
    }

    /** One WebDriver command; its answer, or an AssertionError naming WebDriver's error. */
    private JsonNode call(String method, String path, JsonNode body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode answer = JSON.readTree(r.body());
        if (r.statusCode() != 200) {
            throw new WebDriverError(answer.path("value").path("error").asText(),
                    method + " " + path + ": " + r.statusCode() + " " + answer.path("value").path("message").asText());
        }
        return answer;
    }

    /** An error WebDriver answered with: {@code error} is its W3C code, {@code no such alert} say. */
    static final class WebDriverError extends AssertionError {
        private static final long serialVersionUID = 1L;
        final String error;

        WebDriverError(String error, String message) {
            super(message);
            this.error = error;
        }
    }

    @Override
    public void close() {
        for (Page p : pages) {
            p.quit();
        }
        driver.destroy();
    }

    /** One browser window. */
    final class Page {
        private final String session;
        private final Path profile;

        private Page(String session, Path profile) {
            this.session = session;
            this.profile = profile;
        }

        void go(String url) throws Exception {
            command("POST", "/url", JSON.createObjectNode().put("url", url));
        }

        private JsonNode command(String method, String path, JsonNode body) throws Exception {
            return call(method, "/session/" + session + path, body).path("value");
        }

        private String element(String css) throws Exception {
            ObjectNode find = JSON.createObjectNode().put("using", "css selector").put("value", css);
            // A W3C element reference: an object whose one field is named by the standard's constant.
            return command("POST", "/element", find).elements().next().asText();
        }

        /** Types {@code text} into the element and presses Enter. */
        void type(String css, String text) throws Exception {
            fill(css, text + "\uE007");
        }

        /** Empties the element, then types {@code text} into it. */
        void fill(String css, String text) throws Exception {
            String id = element(css);
            command("POST", "/element/" + id + "/clear", JSON.createObjectNode());
            command("POST", "/element/" + id + "/value", JSON.createObjectNode().put("text", text));
        }

        /** Runs {@code script} (a function body) in the page; what it returns. */
        JsonNode script(String script) throws Exception {
            ObjectNode body = JSON.createObjectNode().put("script", script);
            body.putArray("args");
            return command("POST", "/execute/sync", body);
        }

        /** The text of each element {@code css} matches, in order. */
        List<String> texts(String css) throws Exception {
            JsonNode all = script("return Array.from(document.querySelectorAll('" + css + "')).map(e => e.textContent);");
            List<String> texts = new ArrayList<>();
            all.forEach(n -> texts.add(n.asText()));
            return texts;
        }

        String text(String css) throws Exception {
            return script("const e = document.querySelector('" + css + "'); return e ? e.textContent : null;").asText();
        }

        /** The text of an open alert, or empty: none is open. */
        Optional<String> alert() throws Exception {
            try {
                return Optional.of(command("GET", "/alert/text", null).asText());
            } catch (WebDriverError e) {
                if ("no such alert".equals(e.error)) {
                    return Optional.empty();
                }
                throw e;
            }
        }

        /** Saves a screenshot of the page as {@code file}. */
        void screenshot(Path file) throws Exception {
            byte[] png = Base64.getDecoder().decode(command("GET", "/screenshot", null).asText());
            Files.createDirectories(file.getParent());
            Files.write(file, png);
        }

        private void quit() {
            try {
                call("DELETE", "/session/" + session, null);
            } catch (IOException | InterruptedException | AssertionError e) {
                // The browser is gone already; chromedriver's end ends it anyway.
            }
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // A temporary directory left behind.
            }
        }
    }
}
