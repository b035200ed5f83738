using System.Net;
using Portcullis.Core.Pools;

namespace Portcullis.Core.Config;

public static partial class SwanctlConfigLoader
{
    // ---- pools.NAME ----

    /// <summary>Pool attributes strongSwan knows that Portcullis does not send yet (a number is a raw attribute type there).</summary>
    private static readonly string[] s_laterPoolKeys = ["address", "dhcp", "netmask", "server", "subnet", "split_include", "split_exclude"];

    private sealed class PoolBuilder
    {
        public AddressRange? Addrs;
        public SourceLocation AddrsAt;
        public IReadOnlyList<IPAddress> Dns = [];
        public IReadOnlyList<IPAddress> Nbns = [];
    }

    private static void LoadPools(SettingsSection section, Context ctx, List<PoolConfig> pools)
    {
        foreach (SettingsValue v in section.Values) ctx.Unsupported(v, section.PathOf(v.Key));
        var loaded = new List<(PoolConfig Pool, SourceLocation AddrsAt)>();
        foreach (SettingsSection pool in section.Sections)
        {
            (PoolConfig, SourceLocation)? p = LoadPool(pool, ctx);
            if (p is { } ok) loaded.Add(ok);
        }
        // Two pools sharing an address could hand it to two clients at once.
        for (int i = 0; i < loaded.Count; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (!loaded[i].Pool.Addrs.Overlaps(loaded[j].Pool.Addrs)) continue;
                ctx.Error(loaded[i].AddrsAt, section.PathOf($"{loaded[i].Pool.Name}.addrs"),
                    $"{loaded[i].Pool.Addrs} overlaps pool '{loaded[j].Pool.Name}' ({loaded[j].Pool.Addrs})");
                break;
            }
        }
        pools.AddRange(loaded.Select(p => p.Pool));
    }

    private static (PoolConfig, SourceLocation)? LoadPool(SettingsSection section, Context ctx)
    {
        int before = ctx.Errors.Count;
        var b = new PoolBuilder();
        foreach (SettingsValue v in section.Values)
        {
            string key = section.PathOf(v.Key);
            switch (v.Key)
            {
                case "addrs":
                    if (v.Value.Length == 0) break;
                    if (v.Value.Contains(','))
                    {
                        ctx.Error(v, key, "a pool takes one subnet, range or address (strongSwan allows one 'addrs' per pool); define another pool");
                        break;
                    }
                    if (AddressRange.TryParse(v.Value, out AddressRange? range, out string? error)) { b.Addrs = range; b.AddrsAt = v.Location; }
                    else ctx.Error(v, key, error!);
                    break;
                case "dns":
                    b.Dns = Addresses(v, key, ctx) ?? b.Dns;
                    break;
                case "nbns":
                    b.Nbns = Addresses(v, key, ctx) ?? b.Nbns;
                    break;
                default:
                    if (s_laterPoolKeys.Contains(v.Key) || v.Key.All(char.IsAsciiDigit)) ctx.Unsupported(v, key);
                    else ctx.Error(v, key, $"unknown pool attribute '{v.Key}' (addrs, dns, nbns)");
                    break;
            }
        }
        foreach (SettingsSection sub in section.Sections) ctx.Unsupported(sub);
        if (b.Addrs is null && section.Value("addrs") is not { Value.Length: > 0 })
            ctx.Error(section.Location, section.PathOf("addrs"), "missing 'addrs': the pool's subnet, range or address");
        if (ctx.Errors.Count > before || b.Addrs is null) return null;
        return (new PoolConfig { Name = section.Name, Location = section.Location, Addrs = b.Addrs, Dns = b.Dns, Nbns = b.Nbns }, b.AddrsAt);
    }

    private static IReadOnlyList<IPAddress>? Addresses(SettingsValue v, string key, Context ctx)
    {
        IReadOnlyList<string>? items = ctx.List(v, key);
        if (items is null) return null;
        var addresses = new List<IPAddress>();
        foreach (string item in items)
        {
            if (AddressRange.TryParseAddress(item, out IPAddress? a)) addresses.Add(a!);
            else
            {
                ctx.Error(v, key, $"'{item}' is not an IP address");
                return null;
            }
        }
        return addresses;
    }
}
