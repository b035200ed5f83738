using System.Net;
using System.Net.Sockets;
using Portcullis.Core.Config;
using Portcullis.Core.Firewall;

namespace Portcullis.Core.Tests.Firewall;

/// <summary>
/// The generated rulesets, word for word, against files kept in <c>Firewall/Golden</c>: a change to a rule or a
/// comment shows up as a diff in review. <c>PORTCULLIS_UPDATE_GOLDEN=1 dotnet test …</c> rewrites the files (then
/// read the diff before committing it). The same rulesets load in <c>nft -f</c> and <c>iptables-restore</c> (both
/// flavours) in the interop cases <c>firewall site|nat-front|l2tp</c>.
/// </summary>
public sealed class FirewallGoldenTests
{
    public static TheoryData<string, string, string> Cases() => new()
    {
        // golden file name, config, options (as on the command line)
        { "site", "site.conf", "" },
        { "rw", "rw.conf", "--interface eth0 --allow tcp/22" },
        { "rw-nat-front", "rw.conf", "--nat-front 203.0.113.1 --interface eth0" },
        { "nat-front", "rw.conf", "--nat-front 203.0.113.1 --front" },
        { "l2tp", "l2tp.conf", "--interface eth0" },
        { "ah", "ah.conf", "" },
        { "ipv6", "ipv6.conf", "" },
        { "rw6", "rw6.conf", "--interface eth0" },
        { "rw6-nat66", "rw6.conf", "--interface eth0 --nat66" },
        { "l2tp6", "l2tp6.conf", "--interface eth0" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void NftablesMatchesGoldenFile(string name, string conf, string args) =>
        AssertGolden($"{name}.nft", NftablesWriter.Write(Plan(conf, args, out FirewallOptions o), o));

    [Theory]
    [MemberData(nameof(Cases))]
    public void IptablesMatchesGoldenFile(string name, string conf, string args) =>
        AssertGolden($"{name}.iptables", IptablesWriter.Write(Plan(conf, args, out FirewallOptions o), o, AddressFamily.InterNetwork));

    [Theory]
    [MemberData(nameof(Cases))]
    public void ExplanationMatchesGoldenFile(string name, string conf, string args) =>
        AssertGolden($"{name}.explain", FirewallExplainer.Write(Plan(conf, args, out _)));

    [Theory]
    [InlineData("ipv6", "ipv6.conf", "")]
    [InlineData("rw6", "rw6.conf", "--interface eth0")]
    [InlineData("rw6-nat66", "rw6.conf", "--interface eth0 --nat66")]
    [InlineData("l2tp6", "l2tp6.conf", "--interface eth0")]
    public void Ip6tablesMatchesGoldenFile(string name, string conf, string args) =>
        AssertGolden($"{name}.ip6tables", IptablesWriter.Write(Plan(conf, args, out FirewallOptions o), o, AddressFamily.InterNetworkV6));

    internal static FirewallPlan Plan(string conf, string args, out FirewallOptions options)
    {
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load(Path.Combine(GoldenDirectory, conf));
        Assert.True(config is not null, string.Join("\n", errors));
        options = new FirewallOptions { ConfigPath = $"/etc/portcullis/{conf}" };
        string[] words = args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var allow = new List<(byte, ushort)>();
        for (int i = 0; i < words.Length; i++)
        {
            switch (words[i])
            {
                case "--interface": options = options with { Interface = words[++i] }; break;
                case "--nat-front": options = options with { NatFront = IPAddress.Parse(words[++i]) }; break;
                case "--front": options = options with { Front = true }; break;
                case "--nat66": options = options with { Nat66 = true }; break;
                case "--allow":
                    string[] service = words[++i].Split('/');
                    allow.Add((service[0] == "tcp" ? (byte)6 : (byte)17, ushort.Parse(service[1])));
                    break;
                default: throw new ArgumentException($"test options: {words[i]}");
            }
        }
        options = options with { Allow = allow };
        FirewallPlan plan = FirewallPlanner.Plan(config!, options);
        Assert.Empty(plan.Errors);
        return plan;
    }

    internal static string GoldenDirectory
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Portcullis.slnx"))) dir = Path.GetDirectoryName(dir);
            Assert.NotNull(dir);
            return Path.Combine(dir, "tests", "Portcullis.Core.Tests", "Firewall", "Golden");
        }
    }

    private static void AssertGolden(string file, string actual)
    {
        string path = Path.Combine(GoldenDirectory, file);
        if (Environment.GetEnvironmentVariable("PORTCULLIS_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"{path} is missing: run the tests once with PORTCULLIS_UPDATE_GOLDEN=1 and review it");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
