using System.Net;
using System.Text;
using Portcullis.Core.Config;
using Portcullis.Core.Vici;

namespace Portcullis.Core.Tests.Vici;

public sealed class ViciConfigTreeTests
{
    /// <summary>A load-conn request as swanctl builds it from swanctl.conf: list keys split into VICI lists, the rest key/values.</summary>
    private static ViciMessage LoadConn()
    {
        var request = new ViciMessage();
        ViciMessage gw = request.AddSection("gw");
        gw.Add("version", "2");
        gw.AddList("local_addrs", ["192.0.2.1"]);
        gw.AddList("remote_addrs", ["192.0.2.2"]);
        gw.AddList("proposals", ["aes256gcm16-prfsha384-ecp384", "aes128-sha256-modp2048"]);
        gw.Add("rekey_time", "2h");
        gw.AddSection("local").Add("auth", "psk").Add("id", "gw1.example.org");
        gw.AddSection("remote").Add("auth", "psk").Add("id", "gw2.example.org");
        ViciMessage net = gw.AddSection("children").AddSection("net");
        net.AddList("local_ts", ["198.18.1.0/24"]);
        net.AddList("remote_ts", ["198.18.2.0/24", "198.18.3.0/24"]);
        net.AddList("esp_proposals", ["aes256gcm16"]);
        net.Add("start_action", "none");
        return request;
    }

    private static SettingsSection EmptyFile() => SettingsParser.ParseText("", "/etc/portcullis/swanctl.conf").Root;

    private static ViciMessage Shared(string id, string type, byte[] data, params string[] owners) =>
        new ViciMessage().Add("id", id).Add("type", type).Add("data", data).AddList("owners", owners);

    [Fact]
    public void A_load_conn_request_becomes_the_connection_swanctl_conf_would_give()
    {
        var errors = new List<string>();
        IReadOnlyList<SettingsSection> conns = ViciConfigTree.Sections(LoadConn(), "connections", "load-conn", errors);
        Assert.Empty(errors);
        SettingsSection? secret = ViciConfigTree.SharedSecret(Shared("ike-gw", "ike", Encoding.UTF8.GetBytes("a long secret"), "gw1.example.org", "gw2.example.org"), errors);
        Assert.Empty(errors);

        (PortcullisConfig? config, IReadOnlyList<ConfigError> configErrors) = SwanctlConfigLoader.Load(ViciConfigTree.Merge(EmptyFile(), conns, [], [secret!]));
        Assert.True(config is not null, string.Join("; ", configErrors));
        ConnectionConfig c = Assert.Single(config.Connections);
        Assert.Equal("gw", c.Name);
        Assert.Equal(2, c.Version);
        Assert.Equal(["192.0.2.1"], c.LocalAddrs);
        Assert.Equal(["192.0.2.2"], c.RemoteAddrs);
        Assert.Equal(["aes256gcm16-prfsha384-ecp384", "aes128-sha256-modp2048-prfsha256"], c.Proposals.Select(p => p.ToString()));
        Assert.Equal(TimeSpan.FromHours(2), c.RekeyTime);
        Assert.Equal(("psk", "gw1.example.org"), (c.Local.Auth, c.Local.Id!.ToString()));
        ChildConfig net = Assert.Single(c.Children);
        Assert.Equal(["198.18.2.0/24", "198.18.3.0/24"], net.RemoteTs.Select(t => t.ToString()));
        SharedSecret s = Assert.Single(config.Secrets);
        Assert.Equal("a long secret", Encoding.UTF8.GetString(s.Secret));
        Assert.Equal(2, s.Ids.Count);
    }

    [Fact]
    public void A_key_Portcullis_does_not_support_is_refused_with_the_same_error_as_in_a_file()
    {
        ViciMessage request = LoadConn();
        request.Section("gw")!.Add("unique", "replace");
        var errors = new List<string>();
        IReadOnlyList<SettingsSection> conns = ViciConfigTree.Sections(request, "connections", "load-conn", errors);
        (PortcullisConfig? config, IReadOnlyList<ConfigError> configErrors) = SwanctlConfigLoader.Load(ViciConfigTree.Merge(EmptyFile(), conns, [], []));
        Assert.Null(config);
        ConfigError e = Assert.Single(configErrors);
        Assert.Equal("vici load-conn: connections.gw.unique: the key 'unique' is not supported by Portcullis yet", e.ToString());
    }

    [Fact]
    public void Certificates_a_connection_carries_are_named_by_their_contents()
    {
        ViciMessage request = LoadConn();
        byte[] ours = [0x30, 0x82, 0x01, 0x00], ca = [0x30, 0x82, 0x02, 0x00];
        request.Section("gw")!.Section("local")!.Add("certs", ours);
        var errors = new List<string>();
        var certificates = new Dictionary<string, (bool Ca, byte[] Data)>();
        var withCa = new ViciMessage();
        withCa.AddSection("x").AddSection("remote").Add("cacerts", ca);
        IReadOnlyList<SettingsSection> conns = ViciConfigTree.Sections(request, "connections", "load-conn", errors, certificates);
        ViciConfigTree.Sections(withCa, "connections", "load-conn", errors, certificates);
        Assert.Empty(errors);
        string name = ViciConfigTree.CertificateName(ours);
        Assert.Matches("^vici-[0-9a-f]{16}$", name);
        Assert.Equal(name, conns[0].Section("local")!.Value("certs")!.Value);
        Assert.Equal((false, ours), certificates[name]);
        Assert.True(certificates[ViciConfigTree.CertificateName(ca)].Ca);
    }

    [Fact]
    public void Raw_public_keys_are_refused()
    {
        ViciMessage request = LoadConn();
        request.Section("gw")!.Section("remote")!.Add("pubkeys", new byte[] { 0x30, 0x59 });
        var errors = new List<string>();
        ViciConfigTree.Sections(request, "connections", "load-conn", errors);
        Assert.Equal("connections.gw.remote.pubkeys: raw public keys are not supported by Portcullis yet", Assert.Single(errors));
    }

    [Fact]
    public void Secret_bytes_pass_unchanged_even_when_not_text()
    {
        var errors = new List<string>();
        byte[] raw = [0x00, 0x30, 0x78, 0xFF, 0x0A];
        SettingsSection section = ViciConfigTree.SharedSecret(Shared("eap-alice", "EAP", raw, "alice"), errors)!;
        Assert.Equal("eap-alice", section.Name);
        (PortcullisConfig? config, _) = SwanctlConfigLoader.Load(ViciConfigTree.Merge(EmptyFile(), [], [], [section]));
        EapSecret s = Assert.Single(config!.EapSecrets);
        Assert.Equal(raw, s.Secret);
    }

    [Theory]
    [InlineData("private", "type 'private' is not supported")]
    [InlineData("ike", "no secret in 'data'")]
    public void Unsupported_or_empty_secrets_are_errors(string type, string expected)
    {
        var errors = new List<string>();
        Assert.Null(ViciConfigTree.SharedSecret(Shared("x", type, type == "ike" ? [] : [1]), errors));
        Assert.Contains(expected, Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Vici_sections_replace_file_sections_of_the_same_name_and_keep_the_others()
    {
        (SettingsSection file, _) = SettingsParser.ParseText("""
            connections {
              gw { remote_addrs = 203.0.113.9
                   local { auth = psk }
                   remote { auth = psk }
                   children { net { remote_ts = 198.18.9.0/24 } } }
              other { remote_addrs = 203.0.113.7
                   local { auth = psk }
                   remote { auth = psk }
                   children { a { remote_ts = 198.18.7.0/24 } } }
            }
            pools { p { addrs = 198.18.100.0/24 } }
            """, "/etc/portcullis/swanctl.conf");
        var errors = new List<string>();
        IReadOnlyList<SettingsSection> conns = ViciConfigTree.Sections(LoadConn(), "connections", "load-conn", errors);
        var pool = new ViciMessage();
        pool.AddSection("q").Add("addrs", "198.18.101.0/24").AddList("dns", ["198.18.0.53", "198.18.0.54"]);
        IReadOnlyList<SettingsSection> pools = ViciConfigTree.Sections(pool, "pools", "load-pool", errors);
        Assert.Empty(errors);
        (PortcullisConfig? config, IReadOnlyList<ConfigError> configErrors) = SwanctlConfigLoader.Load(ViciConfigTree.Merge(file, conns, pools, []));
        Assert.True(config is not null, string.Join("; ", configErrors));
        Assert.Equal(["other", "gw"], config.Connections.Select(c => c.Name).Order().Reverse());
        Assert.Equal(["192.0.2.2"], config.Connections.Single(c => c.Name == "gw").RemoteAddrs);
        Assert.Equal(["p", "q"], config.Pools.Select(p => p.Name));
        Assert.Equal([IPAddress.Parse("198.18.0.53"), IPAddress.Parse("198.18.0.54")], config.Pools[1].Dns);
        // The file's own tree is untouched.
        Assert.Equal("203.0.113.9", file.Section("connections")!.Section("gw")!.Value("remote_addrs")!.Value);
    }

    [Fact]
    public void A_request_without_sections_is_an_error()
    {
        var errors = new List<string>();
        ViciConfigTree.Sections(new ViciMessage().Add("name", "gw"), "connections", "load-conn", errors);
        Assert.Equal("load-conn: 'name' is not a section; expected one section per name", Assert.Single(errors));
    }
}
