import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import software.amazon.event.ruler.JsonRuleCompiler;
import software.amazon.event.ruler.Machine;
import software.amazon.event.ruler.Patterns;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A small command-line front to aws/event-ruler, for tooling_testing/event_ruler.py and the benchmark
 * (benchmarks/patterns_vs_event_ruler.py). `python -m tooling_testing.event_ruler` compiles it with
 * event-ruler's sources into a cache outside the repository.
 *
 * Every input line is JSON, so any pattern or event text (newlines included) travels unchanged:
 *   check PATTERNS            one JSON string (a pattern's text) per line; prints, per line, null when
 *                             JsonRuleCompiler accepts it, else its message as a JSON string
 *   match RULES EVENTS        RULES: one {"name": ..., "pattern": "<text>"} per line; EVENTS: one JSON
 *                             string (an event's text) per line; prints, per event, a JSON array of the
 *                             names of the matching rules (in RULES order)
 *   bench RULES EVENTS SECS   as match, then times rulesForJSONEvent over the events (one thread, JSON
 *                             parsing included) for at least SECS seconds after a warm-up; prints the
 *                             matches, then a last line {"events_per_second": ..., "evaluations": ...}
 *
 * Rules are compiled with JsonRuleCompiler only, as AWS does: a pattern that it refuses is an error here
 * (exit 3, the message on stderr), never handed to event-ruler's fallback RuleCompiler, which accepts
 * some patterns AWS refuses.
 */
public final class EventRulerDriver {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private EventRulerDriver() { }

    public static void main(final String[] args) throws Exception {
        if (args.length < 2) {
            usage();
        }
        final BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        switch (args[0]) {
            case "check":
                for (final String text : strings(args[1])) {
                    out.write(MAPPER.writeValueAsString(JsonRuleCompiler.check(text)));
                    out.newLine();
                }
                break;
            case "match":
            case "bench":
                if (args.length < (args[0].equals("bench") ? 4 : 3)) {
                    usage();
                }
                final List<String> names = new ArrayList<>();
                final Machine machine = machine(args[1], names);
                final List<String> events = strings(args[2]);
                final Map<String, Integer> order = new HashMap<>();
                for (int i = 0; i < names.size(); i++) {
                    order.putIfAbsent(names.get(i), i);
                }
                for (final String event : events) {
                    final List<String> matched = new ArrayList<>(machine.rulesForJSONEvent(event));
                    matched.sort((a, b) -> Integer.compare(order.get(a), order.get(b)));
                    final ArrayNode array = MAPPER.createArrayNode();
                    matched.forEach(array::add);
                    out.write(MAPPER.writeValueAsString(array));
                    out.newLine();
                }
                if (args[0].equals("bench")) {
                    out.write(bench(machine, events, Double.parseDouble(args[3])));
                    out.newLine();
                }
                break;
            default:
                usage();
        }
        out.flush();
    }

    private static Machine machine(final String rulesFile, final List<String> names) throws IOException {
        final Machine machine = Machine.builder().build();
        try (BufferedReader reader = Files.newBufferedReader(Paths.get(rulesFile), StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty()) {
                    continue;
                }
                final ObjectNode rule = (ObjectNode) MAPPER.readTree(line);
                final String name = rule.get("name").asText();
                final String pattern = rule.get("pattern").asText();
                final List<Map<String, List<Patterns>>> compiled;
                try {
                    compiled = JsonRuleCompiler.compile(pattern);
                } catch (Exception e) {
                    System.err.println("rule " + name + ": " + e.getLocalizedMessage());
                    System.exit(3);
                    return machine;
                }
                for (final Map<String, List<Patterns>> branch : compiled) {
                    machine.addPatternRule(name, branch);
                }
                names.add(name);
            }
        }
        return machine;
    }

    private static List<String> strings(final String file) throws IOException {
        final List<String> found = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(Paths.get(file), StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isEmpty()) {
                    found.add(MAPPER.readValue(line, String.class));
                }
            }
        }
        return found;
    }

    private static String bench(final Machine machine, final List<String> events, final double seconds)
            throws Exception {
        long sink = 0;
        // Warm-up: let the JIT compile the matching path before timing.
        final long warmEnd = System.nanoTime() + (long) (Math.max(seconds, 1.0) * 1e9);
        while (System.nanoTime() < warmEnd) {
            for (final String event : events) {
                sink += machine.rulesForJSONEvent(event).size();
            }
        }
        long evaluations = 0;
        final long start = System.nanoTime();
        final long end = start + (long) (seconds * 1e9);
        long now;
        do {
            for (final String event : events) {
                sink += machine.rulesForJSONEvent(event).size();
            }
            evaluations += events.size();
            now = System.nanoTime();
        } while (now < end);
        final double rate = evaluations / ((now - start) / 1e9);
        return String.format("{\"events_per_second\": %.1f, \"evaluations\": %d, \"sink\": %d}",
                rate, evaluations, sink);
    }

    private static void usage() {
        System.err.println("usage: EventRulerDriver check PATTERNS | match RULES EVENTS | bench RULES EVENTS SECONDS");
        System.exit(2);
    }
}
