using System.Globalization;
using System.Net;
using System.Text.Json;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Doctor;

/// <summary>
/// Reads the rulesets <c>portcullis doctor</c> checks: <c>nft -j list ruleset</c> (JSON, libnftables' schema) and
/// <c>iptables-save</c> / <c>iptables-legacy-save</c> text. Only what decides the fate of an incoming IKE or ESP
/// packet is modelled (protocol, destination port, addresses, interface, conntrack state, verdicts and jumps);
/// anything else is "cannot tell". Never throws on odd input: what does not parse is left out.
/// </summary>
public static class FilterRulesetParser
{
    // ---- nftables JSON ----

    /// <summary>Parses <c>nft -j list ruleset</c> output; null when it is not JSON of that shape.</summary>
    public static FilterRuleset? ParseNftJson(string json)
    {
        JsonElement root;
        try
        {
            // Cloned: the matches keep elements of it after the document is gone.
            using JsonDocument doc = JsonDocument.Parse(json);
            root = doc.RootElement.Clone();
        }
        catch (JsonException) { return null; }
        {
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("nftables", out JsonElement items) || items.ValueKind != JsonValueKind.Array) return null;
            var chains = new Dictionary<string, (bool Input, string? Policy, int Priority)>();
            var rules = new Dictionary<string, List<FilterRule>>();
            foreach (JsonElement item in items.EnumerateArray())
            {
                if (item.TryGetProperty("chain", out JsonElement c))
                {
                    string where = $"{Str(c, "family")} {Str(c, "table")} {Str(c, "name")}";
                    bool input = Str(c, "hook") == "input" && Str(c, "type") == "filter";
                    int priority = c.TryGetProperty("prio", out JsonElement p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : 0;
                    chains[where] = (input, c.TryGetProperty("policy", out JsonElement pol) ? pol.GetString() : null, priority);
                    rules.TryAdd(where, []);
                }
                else if (item.TryGetProperty("rule", out JsonElement r))
                {
                    string where = $"{Str(r, "family")} {Str(r, "table")} {Str(r, "chain")}";
                    string family = Str(r, "family");
                    if (!rules.TryGetValue(where, out List<FilterRule>? list)) rules[where] = list = [];
                    if (NftRule(r, family) is { } rule) list.Add(rule);
                }
            }
            return new FilterRuleset("nftables", chains.Select(kv => new FilterChain(kv.Key, kv.Value.Input, kv.Value.Policy, kv.Value.Priority, rules[kv.Key])).ToList());
        }
    }

    private static string Str(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    private static FilterRule? NftRule(JsonElement rule, string family)
    {
        if (!rule.TryGetProperty("expr", out JsonElement exprs) || exprs.ValueKind != JsonValueKind.Array) return null;
        var matches = new List<PacketMatch>();
        string verdict = "continue";
        string? target = null;
        string comment = rule.TryGetProperty("comment", out JsonElement cm) && cm.ValueKind == JsonValueKind.String ? $" comment \"{cm.GetString()}\"" : "";
        foreach (JsonElement e in exprs.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Object) continue;
            foreach (JsonProperty p in e.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "match": matches.Add(NftMatch(p.Value)); break;
                    case "accept" or "drop" or "reject" or "return": verdict = p.Name; break;
                    case "jump" or "goto":
                        verdict = p.Name;
                        target = $"{family} {Str(rule, "table")} {Str(p.Value, "target")}";
                        break;
                    case "counter" or "log" or "limit" or "comment": break;
                    // NAT, marks, sets and the like change nothing about whether input accepts the packet; but a
                    // statement we do not know might, so the rule's match becomes "cannot tell".
                    default: matches.Add(_ => null); break;
                }
            }
        }
        return new FilterRule($"handle {(rule.TryGetProperty("handle", out JsonElement h) ? h.ToString() : "?")}{comment}", matches, verdict, target);
    }

    private static PacketMatch NftMatch(JsonElement m)
    {
        string op = Str(m, "op");
        if (!m.TryGetProperty("left", out JsonElement left) || !m.TryGetProperty("right", out JsonElement right)) return _ => null;
        bool negate = op == "!=";
        PacketMatch inner = NftLeft(left, right);
        return negate ? p => !inner(p) : inner;
    }

    private static PacketMatch NftLeft(JsonElement left, JsonElement right)
    {
        if (left.TryGetProperty("meta", out JsonElement meta))
        {
            switch (Str(meta, "key"))
            {
                case "l4proto": return p => Any(right, v => ProtocolOf(v) is byte b ? b == p.Protocol : null);
                case "nfproto": return p => Any(right, v => v.ValueKind == JsonValueKind.String ? v.GetString() == (IsV6(p) ? "ipv6" : "ipv4") : null);
                // IKE and ESP come in from outside, never on loopback; other interface names: cannot tell.
                case "iifname" or "iif": return p => Any(right, v => v.ValueKind == JsonValueKind.String && v.GetString() == "lo" ? false : null);
            }
            return _ => null;
        }
        if (left.TryGetProperty("payload", out JsonElement payload))
        {
            string proto = Str(payload, "protocol"), field = Str(payload, "field");
            return (proto, field) switch
            {
                ("udp", "dport") => p => p.Protocol != 17 ? false : Any(right, v => PortIn(v, p.Port)),
                ("tcp", "dport") => p => p.Protocol != 6 ? false : Any(right, v => PortIn(v, p.Port)),
                ("th", "dport") => p => p.Protocol is not (6 or 17) ? false : Any(right, v => PortIn(v, p.Port)),
                ("ip", "protocol") or ("ip6", "nexthdr") => p => Any(right, v => ProtocolOf(v) is byte b ? b == p.Protocol : null),
                ("ip" or "ip6", "saddr") => p => (proto == "ip6") != IsV6(p) ? false : Any(right, v => AddressMatch(v, p.Source)),
                ("ip" or "ip6", "daddr") => p => (proto == "ip6") != IsV6(p) ? false : Any(right, v => AddressMatch(v, p.Destination)),
                ("udp" or "tcp", _) => p => (proto == "udp" ? 17 : 6) != p.Protocol ? false : null,
                _ => _ => null,
            };
        }
        if (left.TryGetProperty("ct", out JsonElement ct) && Str(ct, "key") == "state")
            // A first IKE_SA_INIT or the first ESP packet of an SA is "new" to conntrack.
            return _ => Any(right, v => v.ValueKind == JsonValueKind.String ? v.GetString() == "new" : null);
        return _ => null;
    }

    // The right side: a value, a set of values, or a list (ct state); true if any element says so.
    private static bool? Any(JsonElement right, Func<JsonElement, bool?> test)
    {
        IEnumerable<JsonElement> values = right.ValueKind switch
        {
            JsonValueKind.Array => right.EnumerateArray(),
            JsonValueKind.Object when right.TryGetProperty("set", out JsonElement set) && set.ValueKind == JsonValueKind.Array => set.EnumerateArray(),
            _ => [right],
        };
        bool? result = false;
        foreach (JsonElement v in values)
        {
            bool? r = test(v);
            if (r == true) return true;
            if (r is null) result = null;
        }
        return result;
    }

    private static bool? PortIn(JsonElement v, ushort port)
    {
        if (v.ValueKind == JsonValueKind.Number) return v.GetInt32() == port;
        if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("range", out JsonElement r) && r.GetArrayLength() == 2
            && r[0].ValueKind == JsonValueKind.Number && r[1].ValueKind == JsonValueKind.Number)
            return port >= r[0].GetInt32() && port <= r[1].GetInt32();
        return null;
    }

    private static byte? ProtocolOf(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => (byte)v.GetInt32(),
        JsonValueKind.String => ProtocolNumber(v.GetString()!),
        _ => null,
    };

    private static bool? AddressMatch(JsonElement v, IPAddress? address)
    {
        if (address is null) return null;
        if (v.ValueKind == JsonValueKind.String)
            return TrafficSelector.TryParse(v.GetString()!, out TrafficSelector ts, out _) ? FilterRuleset.AddressIn(address, ts) : null;
        if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("prefix", out JsonElement prefix)
            && TrafficSelector.TryParse($"{Str(prefix, "addr")}/{(prefix.TryGetProperty("len", out JsonElement len) ? len.GetInt32() : -1)}", out TrafficSelector p, out _))
            return FilterRuleset.AddressIn(address, p);
        if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("range", out JsonElement r) && r.GetArrayLength() == 2
            && TrafficSelector.TryParse($"{r[0].GetString()}-{r[1].GetString()}", out TrafficSelector range, out _))
            return FilterRuleset.AddressIn(address, range);
        return null;
    }

    private static bool IsV6(NeededPacket p) => (p.Source ?? p.Destination)?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    private static byte? ProtocolNumber(string name) => name.ToLowerInvariant() switch
    {
        "icmp" => 1, "tcp" => 6, "udp" => 17, "esp" => 50, "ah" => 51, "ipv6-icmp" or "icmpv6" => 58, "sctp" => 132,
        _ => byte.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out byte b) ? b : null,
    };

    // ---- iptables-save ----

    /// <summary>Parses <c>iptables-save</c> (or <c>ip6tables-save</c>) output: the filter table's INPUT chain and the chains it jumps to.</summary>
    public static FilterRuleset ParseIptablesSave(string text, string source, bool ipv6 = false)
    {
        string family = ipv6 ? "ip6" : "ip";
        var chains = new Dictionary<string, (string? Policy, List<FilterRule> Rules)>();
        string? table = null;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith('*')) { table = line[1..]; continue; }
            if (table != "filter" || line.Length == 0 || line.StartsWith('#') || line == "COMMIT") continue;
            if (line.StartsWith(':'))
            {
                string[] f = line[1..].Split(' ');
                chains[f[0]] = (f.Length > 1 && f[1] != "-" ? f[1].ToLowerInvariant() : null, chains.GetValueOrDefault(f[0]).Rules ?? []);
                continue;
            }
            if (!line.StartsWith("-A ", StringComparison.Ordinal)) continue;
            List<string> words = Words(line);
            if (words.Count < 2) continue;
            string chain = words[1];
            if (!chains.ContainsKey(chain)) chains[chain] = (null, []);
            chains[chain].Rules.Add(IptablesRule(line, words, family));
        }
        return new FilterRuleset(source, chains.Select(kv => new FilterChain($"{family} filter {kv.Key}", kv.Key == "INPUT", kv.Value.Policy, 0, kv.Value.Rules)).ToList());
    }

    private static FilterRule IptablesRule(string line, List<string> w, string family)
    {
        var matches = new List<PacketMatch>();
        string verdict = "continue";
        string? target = null;
        for (int i = 2; i < w.Count; i++)
        {
            bool negate = w[i] == "!";
            if (negate) i++;
            if (i >= w.Count) break;
            string opt = w[i];
            string? arg = i + 1 < w.Count ? w[i + 1] : null;
            PacketMatch? m = null;
            switch (opt)
            {
                case "-p" or "--protocol":
                    i++;
                    byte? proto = arg is null ? null : ProtocolNumber(arg);
                    m = arg == "all" ? _ => true : p => proto is null ? null : p.Protocol == proto;
                    break;
                case "--dport" or "--destination-port" or "--dports":
                    i++;
                    m = p => arg is null ? null : AnyOf(arg.Split(',').Select(part => IptablesPortIn(part, p.Port)));
                    break;
                case "-s" or "--source":
                    i++;
                    m = p => AddressArg(arg, p.Source);
                    break;
                case "-d" or "--destination":
                    i++;
                    m = p => AddressArg(arg, p.Destination);
                    break;
                case "-i" or "--in-interface":
                    i++;
                    m = _ => arg == "lo" ? false : null;
                    break;
                case "--ctstate" or "--state":
                    i++;
                    m = _ => arg?.Split(',').Contains("NEW") == true;
                    break;
                case "-m":
                    i++;
                    if (arg == "comment") { i += 2; }                      // -m comment --comment "…"
                    else if (arg is not ("udp" or "tcp" or "conntrack" or "state" or "multiport")) m = _ => null; // a match we do not model
                    break;
                case "-j" or "-g":
                    i++;
                    switch (arg)
                    {
                        case "ACCEPT": verdict = "accept"; break;
                        case "DROP": verdict = "drop"; break;
                        case "REJECT": verdict = "reject"; break;
                        case "RETURN": verdict = "return"; break;
                        case "LOG" or "NFLOG": break;
                        case null: break;
                        default:
                            // A user chain (or a target we do not know, which then simply is not found).
                            verdict = opt == "-g" ? "goto" : "jump";
                            target = $"{family} filter {arg}";
                            break;
                    }
                    // Options of the target itself (--reject-with …) follow; they do not change the verdict.
                    i = w.Count;
                    break;
                default:
                    m = _ => null;
                    if (arg is not null && !arg.StartsWith('-')) i++;
                    break;
            }
            if (m is not null) matches.Add(negate ? p => !m(p) : m);
        }
        return new FilterRule(line, matches, verdict, target);
    }

    private static bool? IptablesPortIn(string part, ushort port)
    {
        string[] r = part.Split(':');
        if (!ushort.TryParse(r[0], out ushort from)) return null;
        ushort to = from;
        if (r.Length > 1 && !ushort.TryParse(r[1], out to)) return null;
        return port >= from && port <= to;
    }

    private static bool? AddressArg(string? arg, IPAddress? address)
    {
        if (arg is null) return null;
        return AnyOf(arg.Split(',').Select(a => TrafficSelector.TryParse(a, out TrafficSelector ts, out _) ? FilterRuleset.AddressIn(address, ts) : null));
    }

    // True if any is true; else "cannot tell" if any cannot; else false.
    private static bool? AnyOf(IEnumerable<bool?> results)
    {
        bool? result = false;
        foreach (bool? r in results)
        {
            if (r == true) return true;
            if (r is null) result = null;
        }
        return result;
    }

    // Shell-like words: double quotes group (comments), backslash escapes inside them.
    private static List<string> Words(string line)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false, any = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '\\' && i + 1 < line.Length) current.Append(line[++i]);
                else if (ch == '"') quoted = false;
                else current.Append(ch);
            }
            else if (ch == '"') { quoted = true; any = true; }
            else if (ch == ' ')
            {
                if (any || current.Length > 0) words.Add(current.ToString());
                current.Clear();
                any = false;
            }
            else current.Append(ch);
        }
        if (any || current.Length > 0) words.Add(current.ToString());
        return words;
    }
}
