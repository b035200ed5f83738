using System.Net;
using System.Text;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Tests.Config;

public class SwanctlConfigLoaderTests
{
    private const string Main = "/etc/swanctl/swanctl.conf";

    private const string SiteToSite = """
        # Site-to-site tunnel between two gateways
        connections {
            gw-gw {
                version = 2
                local_addrs = 192.0.2.1
                remote_addrs = 198.51.100.2, 198.51.100.3
                local_port = 4500
                remote_port = 4500
                proposals = aes256gcm16-prfsha384-ecp384, aes256-sha256-modp2048
                encap = yes
                rekey_time = 2h
                local {
                    auth = psk
                    id = gw1.example.org
                }
                remote {
                    auth = psk
                    id = "@gw2.example.org"
                }
                children {
                    net-net {
                        local_ts = 10.1.0.0/16
                        remote_ts = 10.2.0.0/16, 10.3.0.0/24
                        esp_proposals = aes128gcm16-ecp256, default
                        mode = tunnel
                        start_action = trap
                        close_action = restart
                        rekey_time = 45m
                    }
                    host {
                        mode = transport
                    }
                }
            }
            roadwarrior {
                local {
                    auth = psk
                }
                remote {
                    auth = psk
                    id = %any
                }
            }
        }

        secrets {
            ike-gw {
                id = gw1.example.org
                id-peer = @gw2.example.org
                secret = "correct horse battery staple"
            }
            ike {
                secret = 0x0102:0304
            }
            ike-b64 {
                id = 198.51.100.2
                secret = 0sAAEC/w==
            }
        }
        """;

    private static PortcullisConfig LoadOk(string text, InMemoryConfigFileSystem? fs = null)
    {
        fs ??= new InMemoryConfigFileSystem();
        fs.Add(Main, text);
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load(Main, fs);
        Assert.Empty(errors);
        return config!;
    }

    private static IReadOnlyList<ConfigError> LoadErrors(string text, InMemoryConfigFileSystem? fs = null)
    {
        fs ??= new InMemoryConfigFileSystem();
        fs.Add(Main, text);
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load(Main, fs);
        Assert.Null(config);
        Assert.NotEmpty(errors);
        return errors;
    }

    private static Identity Id(string text)
    {
        Assert.True(Identity.TryParse(text, out Identity? id, out _));
        return id!;
    }

    [Fact]
    public void SiteToSiteConfigLoadsToTheExpectedModel()
    {
        PortcullisConfig config = LoadOk(SiteToSite);

        Assert.Equal(["gw-gw", "roadwarrior"], config.Connections.Select(c => c.Name));
        ConnectionConfig gw = config.Connections[0];
        Assert.Equal(new SourceLocation(Main, 3), gw.Location);
        Assert.Equal(2, gw.Version);
        Assert.Equal(["192.0.2.1"], gw.LocalAddrs);
        Assert.Equal(["198.51.100.2", "198.51.100.3"], gw.RemoteAddrs);
        Assert.Equal(IPAddress.Parse("198.51.100.2"), gw.RemoteAddress);
        Assert.Equal(4500, gw.LocalPort);
        Assert.Equal(4500, gw.RemotePort);
        Assert.Equal(["aes256gcm16-prfsha384-ecp384", "aes256-sha256-modp2048-prfsha256"], gw.Proposals.Select(p => p.ToString()));
        Assert.True(gw.Encap);
        Assert.Equal(TimeSpan.FromHours(2), gw.RekeyTime);
        Assert.Equal("psk", gw.Local.Auth);
        Assert.Equal(IdType.Fqdn, gw.Local.Id!.Type);
        Assert.Equal("gw1.example.org", gw.Local.Id.ToString());
        Assert.Equal(Id("@gw2.example.org"), gw.Remote.Id);

        Assert.Equal(["net-net", "host"], gw.Children.Select(c => c.Name));
        ChildConfig net = gw.Children[0];
        Assert.Equal(new SourceLocation(Main, 21), net.Location);
        Assert.Equal([TrafficSelector.ForPrefix(IPAddress.Parse("10.1.0.0"), 16)], net.LocalTs);
        Assert.Equal([TrafficSelector.ForPrefix(IPAddress.Parse("10.2.0.0"), 16), TrafficSelector.ForPrefix(IPAddress.Parse("10.3.0.0"), 24)], net.RemoteTs);
        Assert.Equal(["aes128gcm16-ecp256-noesn", "aes128gcm16-aes192gcm16-aes256gcm16-noesn", "aes128-aes192-aes256-sha256-sha384-sha512-aesxcbc-noesn"],
            net.EspProposals.Select(p => p.ToString()));
        Assert.Equal(ChildMode.Tunnel, net.Mode);
        Assert.Equal(StartAction.Trap, net.StartAction);
        Assert.Equal(CloseAction.Start, net.CloseAction);
        Assert.Equal(TimeSpan.FromMinutes(45), net.RekeyTime);

        ChildConfig host = gw.Children[1];
        Assert.Equal(ChildMode.Transport, host.Mode);
        Assert.Empty(host.LocalTs);   // dynamic
        Assert.Empty(host.RemoteTs);
        Assert.Equal(2, host.EspProposals.Count);
        Assert.Equal(StartAction.None, host.StartAction);
        Assert.Equal(CloseAction.None, host.CloseAction);
        Assert.Equal(TimeSpan.FromHours(1), host.RekeyTime);

        // strongSwan's defaults
        ConnectionConfig rw = config.Connections[1];
        Assert.Equal(0, rw.Version);
        Assert.Empty(rw.LocalAddrs);
        Assert.Empty(rw.RemoteAddrs);
        Assert.Equal(500, rw.LocalPort);
        Assert.Equal(500, rw.RemotePort);
        Assert.False(rw.Encap);
        Assert.Equal(TimeSpan.FromHours(4), rw.RekeyTime);
        Assert.Equal(2, rw.Proposals.Count);
        Assert.Null(rw.Local.Id);
        Assert.Null(rw.Remote.Id);   // %any
        Assert.Empty(rw.Children);

        Assert.Equal(["ike-gw", "ike", "ike-b64"], config.Secrets.Select(s => s.Name));
        Assert.Equal(Encoding.UTF8.GetBytes("correct horse battery staple"), config.Secrets[0].Secret);
        Assert.Equal([Id("gw1.example.org"), Id("@gw2.example.org")], config.Secrets[0].Ids);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, config.Secrets[1].Secret);
        Assert.Empty(config.Secrets[1].Ids);
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, config.Secrets[2].Secret);
        Assert.Equal([Id("198.51.100.2")], config.Secrets[2].Ids);

        Assert.Same(config.Secrets[0], config.FindSharedSecret(Id("gw1.example.org"), Id("@gw2.example.org")));
        Assert.Same(config.Secrets[1], config.FindSharedSecret(Id("a.example"), Id("b.example")));
    }

    [Fact]
    public void IncludedFilesAreLoadedWithTheirOwnLocations()
    {
        var fs = new InMemoryConfigFileSystem()
            .Add("/etc/swanctl/conf.d/a.conf", "connections {\n  a {\n    local {\n      auth = psk\n    }\n    remote {\n      auth = psk\n    }\n  }\n}\n")
            .Add("/etc/swanctl/conf.d/b.conf", "connections {\n  b {\n    unique = replace\n  }\n}\n");
        IReadOnlyList<ConfigError> errors = LoadErrors("include conf.d/*.conf\n", fs);
        Assert.Contains(errors, e => e is { File: "/etc/swanctl/conf.d/b.conf", Line: 3, Key: "connections.b.unique" } && e.Message.Contains("not supported by Portcullis yet"));

        fs.Add("/etc/swanctl/conf.d/b.conf", "# nothing\n");
        PortcullisConfig config = LoadOk("include conf.d/*.conf\n", fs);
        Assert.Equal(new SourceLocation("/etc/swanctl/conf.d/a.conf", 2), Assert.Single(config.Connections).Location);
    }

    private const string Valid = """
        connections {
            c {
                local {
                    auth = psk
                }
                remote {
                    auth = psk
                }
                children {
                    ch {
                        local_ts = dynamic
                    }
                }
            }
        }
        """;

    /// <summary><see cref="Valid"/> with <paramref name="text"/> inserted after line <paramref name="afterLine"/>
    /// (2: in connection c, 7: in its remote section after auth, 10: in child ch).</summary>
    private static string With(int afterLine, string text)
    {
        List<string> lines = Valid.Split('\n').ToList();
        lines.Insert(afterLine, text);
        return string.Join('\n', lines);
    }

    [Fact]
    public void ValidBaseConfigLoads() => Assert.Single(LoadOk(Valid).Connections);

    [Theory]
    // unsupported keys and sections, at every level
    [InlineData("pools {\n  p {\n    addrs = 10.0.0.0/24\n    subnet = 10.1.0.0/16\n  }\n}\n", 4, "pools.p.subnet", "not supported by Portcullis yet")]
    [InlineData("authorities {\n}\n", 1, "authorities", "not supported by Portcullis yet")]
    [InlineData("x = 1\n", 1, "x", "not supported by Portcullis yet")]
    [InlineData("connections {\n  c {\n    keyingtries = 3\n  }\n}\n", 3, "connections.c.keyingtries", "not supported by Portcullis yet")]
    [InlineData("connections {\n  c {\n    pull = no\n  }\n}\n", 3, "connections.c.pull", "applies to IKEv1 only")]
    [InlineData("connections {\n  c {\n    children {\n      x {\n        updown = /bin/true\n      }\n    }\n  }\n}\n", 5, "connections.c.children.x.updown", "not supported by Portcullis yet")]
    [InlineData("connections {\n  c {\n    local {\n      pubkeys = a.pem\n    }\n  }\n}\n", 4, "connections.c.local.pubkeys", "not supported by Portcullis yet")]
    [InlineData("connections {\n  x = 1\n}\n", 2, "connections.x", "not supported by Portcullis yet")]
    [InlineData("secrets {\n  ntlm-u {\n    secret = x\n  }\n}\n", 2, "secrets.ntlm-u", "not supported by Portcullis yet")]
    [InlineData("secrets {\n  ike-a {\n    secret = x\n    foo = y\n  }\n}\n", 4, "secrets.ike-a.foo", "not supported by Portcullis yet")]
    [InlineData("secrets {\n  ike-a {\n    id = x\n  }\n}\n", 2, "secrets.ike-a.secret", "missing 'secret'")]
    [InlineData("secrets {\n  ike-a {\n    secret = 0xZZ\n  }\n}\n", 3, "secrets.ike-a.secret", "not hexadecimal")]
    [InlineData("secrets {\n  ike-a {\n    secret = 0s!!\n  }\n}\n", 3, "secrets.ike-a.secret", "not base64")]
    public void RefusalsNameFileLineAndDottedKey(string text, int line, string key, string message)
    {
        IReadOnlyList<ConfigError> errors = LoadErrors(text);
        Assert.Contains(errors, e => e.File == Main && e.Line == line && e.Key == key && e.Message.Contains(message));
    }

    [Theory]
    [InlineData(2, "    version = 3", 3, "connections.c.version", "not an IKE version")]
    [InlineData(2, "    local_port = 0", 3, "connections.c.local_port", "not a port")]
    [InlineData(2, "    remote_port = 65536", 3, "connections.c.remote_port", "not a port")]
    [InlineData(2, "    encap = maybe", 3, "connections.c.encap", "not a boolean")]
    [InlineData(2, "    mobike = sometimes", 3, "connections.c.mobike", "not a boolean")]
    [InlineData(2, "    rekey_time = 4w", 3, "connections.c.rekey_time", "not a duration")]
    [InlineData(2, "    proposals = aes999-sha256-modp2048", 3, "connections.c.proposals", "unknown algorithm 'aes999' in proposal 'aes999-sha256-modp2048'")]
    [InlineData(2, "    proposals = aes128gcm16", 3, "connections.c.proposals", "a PRF is mandatory")]
    [InlineData(2, "    remote_addrs = a,,b", 3, "connections.c.remote_addrs", "empty element")]
    [InlineData(8, "local-2 {\n auth = psk\n}", 9, "connections.c.local-2", "multiple authentication rounds are not supported yet")]
    [InlineData(8, "remote-b {\n auth = psk\n}", 9, "connections.c.remote-b", "multiple authentication rounds are not supported yet")]
    [InlineData(7, "auth = eap-md5", 8, "connections.c.remote.auth", "not supported by Portcullis yet")]
    [InlineData(7, "auth = ed25519", 8, "connections.c.remote.auth", "not supported by Portcullis yet")]
    [InlineData(2, "send_cert = sometimes", 3, "connections.c.send_cert", "unknown send_cert")]
    [InlineData(2, "send_certreq = perhaps", 3, "connections.c.send_certreq", "not a boolean")]
    [InlineData(2, "vips = anything", 3, "connections.c.vips", "not an IP address")]
    [InlineData(4, "cacerts = ca.pem", 5, "connections.c.local.cacerts", "belongs in the remote section")]
    [InlineData(7, "certs = mine.pem", 8, "connections.c.remote.certs", "belongs in the local section")]
    [InlineData(7, "auth = xauth", 8, "connections.c.remote.auth", "XAUTH in the first round (hybrid authentication) is not supported by Portcullis yet")]
    [InlineData(7, "auth = xauth-pam", 8, "connections.c.remote.auth", "XAUTH back end 'xauth-pam' is not supported by Portcullis yet")]
    [InlineData(7, "auth = xauth-eap", 8, "connections.c.remote.auth", "XAUTH back end 'xauth-eap' is not supported by Portcullis yet")]
    [InlineData(7, "xauth_id = alice", 8, "connections.c.remote.xauth_id", "belongs in a round with auth = xauth")]
    [InlineData(8, "remote-2 {\n auth = xauth\n}", 9, "connections.c.remote-2", "set version = 1")]
    [InlineData(7, "auth = magic", 8, "connections.c.remote.auth", "unknown authentication method")]
    [InlineData(7, "id = \"@#zz\"", 8, "connections.c.remote.id", "not hexadecimal")]
    [InlineData(10, "                        mode = beet", 11, "connections.c.children.ch.mode", "not supported by Portcullis yet")]
    [InlineData(10, "                        mode = pass", 11, "connections.c.children.ch.mode", "not supported by Portcullis yet")]
    [InlineData(10, "                        mode = drop", 11, "connections.c.children.ch.mode", "not supported by Portcullis yet")]
    [InlineData(10, "                        mode = tunel", 11, "connections.c.children.ch.mode", "unknown mode")]
    [InlineData(10, "                        start_action = trap|start", 11, "connections.c.children.ch.start_action", "not supported by Portcullis yet")]
    [InlineData(10, "                        start_action = route", 11, "connections.c.children.ch.start_action", "unknown start_action")]
    [InlineData(10, "                        close_action = reboot", 11, "connections.c.children.ch.close_action", "unknown action")]
    [InlineData(10, "                        remote_ts = 10.0.0.0/33", 11, "connections.c.children.ch.remote_ts", "")]
    [InlineData(10, "                        remote_ts = dynamic, 10.0.0.0/8", 11, "connections.c.children.ch.remote_ts", "combining 'dynamic'")]
    [InlineData(10, "                        esp_proposals = aes128-prfsha256", 11, "connections.c.children.ch.esp_proposals", "cannot be used in ESP proposals")]
    [InlineData(10, "                        rekey_time = soon", 11, "connections.c.children.ch.rekey_time", "not a duration")]
    [InlineData(10, "                        updown = /usr/lib/updown", 11, "connections.c.children.ch.updown", "not supported by Portcullis yet")]
    [InlineData(10, "                        rekey_bytes = lots", 11, "connections.c.children.ch.rekey_bytes", "not a count")]
    [InlineData(10, "                        life_packets = 5t", 11, "connections.c.children.ch.life_packets", "not a count")]
    [InlineData(10, "                        dpd_action = panic", 11, "connections.c.children.ch.dpd_action", "unknown action")]
    [InlineData(2, "    dpd_delay = often", 3, "connections.c.dpd_delay", "not a duration")]
    public void InvalidValuesNameFileLineAndDottedKey(int afterLine, string line, int expectedLine, string key, string message)
    {
        string text = With(afterLine, line);
        IReadOnlyList<ConfigError> errors = LoadErrors(text);
        ConfigError e = Assert.Single(errors);
        Assert.Equal((Main, expectedLine, key), (e.File, e.Line, e.Key));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void LifetimeAndLivenessKeysLoadWithStrongSwansDefaults()
    {
        ConnectionConfig c = LoadOk(With(10, """
                        rekey_time = 10m
                        life_time = 15m
                        rand_time = 1m
                        rekey_bytes = 500m
                        life_bytes = 1g
                        rand_bytes = 2k
                        rekey_packets = 1000
                        dpd_action = restart
            """)).Connections[0];
        ChildConfig ch = c.Children[0];
        Assert.Equal((TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(1)), (ch.RekeyTime, ch.EffectiveLifeTime, ch.EffectiveRandTime));
        Assert.Equal((500UL << 20, 1UL << 30, (ulong?)2048), (ch.RekeyBytes, ch.EffectiveLifeBytes, ch.RandBytes));
        Assert.Equal((1000UL, 1100UL), (ch.RekeyPackets, ch.EffectiveLifePackets));
        Assert.Equal(100UL, ch.EffectiveRandPackets);
        // A life_bytes below rekey_bytes leaves no room for jitter (and does not wrap around).
        ChildConfig odd = LoadOk(With(10, "rekey_bytes = 1000\nlife_bytes = 500")).Connections[0].Children[0];
        Assert.Equal(0UL, odd.EffectiveRandBytes);
        Assert.Equal(CloseAction.Start, ch.DpdAction);
        // Unset: strongSwan's defaults (IKE 4h, +10 % over time, rand = over; CHILD 1h, life 110 %, rand = life - rekey; DPD off).
        ChildConfig plain = LoadOk(Valid).Connections[0].Children[0];
        Assert.Equal((TimeSpan.FromHours(1), TimeSpan.FromMinutes(66), TimeSpan.FromMinutes(6)), (plain.RekeyTime, plain.EffectiveLifeTime, plain.EffectiveRandTime));
        ConnectionConfig conn = LoadOk(Valid).Connections[0];
        Assert.Equal((TimeSpan.FromHours(4), TimeSpan.Zero, TimeSpan.FromMinutes(24), TimeSpan.FromMinutes(24)), (conn.RekeyTime, conn.ReauthTime, conn.EffectiveOverTime, conn.EffectiveRandTime));
        Assert.Equal((TimeSpan.Zero, TimeSpan.Zero, CloseAction.None), (conn.DpdDelay, conn.DpdTimeout, plain.DpdAction));
        ConnectionConfig tuned = LoadOk(With(2, "    reauth_time = 8h\n    over_time = 30m\n    rand_time = 5m\n    dpd_delay = 30s\n    dpd_timeout = 150s")).Connections[0];
        Assert.Equal((TimeSpan.FromHours(8), TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(5)), (tuned.ReauthTime, tuned.EffectiveOverTime, tuned.EffectiveRandTime));
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(150)), (tuned.DpdDelay, tuned.DpdTimeout));
    }

    [Fact]
    public void MissingAuthRoundsAndAuthKeysDefaultToPubkeyAsInStrongSwan()
    {
        ConnectionConfig c = LoadOk("connections {\n  c {\n    local {\n      id = a\n    }\n  }\n}\n").Connections[0];
        Assert.Equal((AuthClass.PublicKey, AuthClass.PublicKey), (c.Local.Class, c.Remote.Class));
        Assert.Equal("a", c.Local.Id!.ToString());
    }

    [Fact]
    public void RemoteAccessKeysLoad()
    {
        ConnectionConfig c = LoadOk("""
            connections {
                rw {
                    send_cert = always
                    send_certreq = no
                    pools = rw, rw6
                    vips = 0.0.0.0, ::
                    local {
                        auth = pubkey
                        certs = serverCert.pem
                        id = server.example
                    }
                    remote {
                        auth = eap-mschapv2
                        eap_id = %any
                        cacerts = caCert.pem
                    }
                }
            }
            pools {
                rw {
                    addrs = 198.18.100.0/24
                }
                rw6 {
                    addrs = 2001:db8::/120
                }
            }
            """).Connections[0];
        Assert.Equal((SendCertPolicy.Always, false), (c.SendCert, c.SendCertReq));
        Assert.Equal(["rw", "rw6"], c.Pools);
        Assert.Equal(2, c.Vips.Count);
        Assert.Equal(["serverCert.pem"], c.Local.Certs);
        Assert.Equal(["caCert.pem"], c.Remote.CaCerts);
        Assert.Equal((AuthClass.Eap, true), (c.Remote.Class, c.Remote.AsksEapIdentity));
    }

    [Theory]
    [InlineData("none", StartAction.None)]
    [InlineData("trap", StartAction.Trap)]
    [InlineData("start", StartAction.Start)]
    public void StartActions(string value, StartAction expected) =>
        Assert.Equal(expected, LoadOk(With(10, $"start_action = {value}")).Connections[0].Children[0].StartAction);

    [Theory]
    [InlineData("none", CloseAction.None)]
    [InlineData("clear", CloseAction.None)]
    [InlineData("trap", CloseAction.Trap)]
    [InlineData("hold", CloseAction.Trap)]
    [InlineData("start", CloseAction.Start)]
    [InlineData("restart", CloseAction.Start)]
    public void CloseActionsAndTheirAliases(string value, CloseAction expected) =>
        Assert.Equal(expected, LoadOk(With(10, $"close_action = {value}")).Connections[0].Children[0].CloseAction);

    [Theory]
    [InlineData("3600", 3600)]
    [InlineData("60s", 60)]
    [InlineData("15m", 900)]
    [InlineData("4h", 14400)]
    [InlineData("1d", 86400)]
    [InlineData("0", 0)]
    public void Durations(string value, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), LoadOk(With(2, $"rekey_time = {value}")).Connections[0].RekeyTime);

    [Theory]
    [InlineData("yes", true)]
    [InlineData("true", true)]
    [InlineData("no", false)]
    [InlineData("false", false)]
    public void Booleans(string value, bool expected) =>
        Assert.Equal(expected, LoadOk(With(2, $"encap = {value}")).Connections[0].Encap);

    [Theory]
    [InlineData(null, true)]
    [InlineData("mobike = yes", true)]
    [InlineData("mobike = no", false)]
    public void Mobike_defaults_to_yes_as_in_strongSwan(string? line, bool expected) =>
        Assert.Equal(expected, LoadOk(line is null ? Valid : With(2, line)).Connections[0].Mobike);

    [Fact]
    public void EmptyValueKeepsTheDefault()
    {
        ConnectionConfig c = LoadOk(With(2, "rekey_time =\nlocal_port = ")).Connections[0];
        Assert.Equal(TimeSpan.FromHours(4), c.RekeyTime);
        Assert.Equal(500, c.LocalPort);
    }

    [Fact]
    public void Version_1_and_aggressive_select_IKEv1_Aggressive_Mode()
    {
        ConnectionConfig c = LoadOk(With(2, "version = 1\naggressive = yes")).Connections[0];
        Assert.Equal(1, c.Version);
        Assert.True(c.Aggressive);
        Assert.False(LoadOk(Valid).Connections[0].Aggressive);
        Assert.Contains(LoadErrors(With(2, "aggressive = maybe")), e => e.Key == "connections.c.aggressive");
    }

    [Fact]
    public void Ikev1_refuses_what_it_cannot_do_yet()
    {
        string v1 = With(2, "version = 1");
        int at = v1.IndexOf("auth = psk", StringComparison.Ordinal);
        string pubkey = v1[..at] + "auth = pubkey" + v1[(at + "auth = psk".Length)..];
        Assert.Contains(LoadErrors(pubkey), e => e.Key == "connections.c" && e.Message.Contains("auth = pubkey / psk") && e.Message.Contains("not supported by Portcullis yet"));
        Assert.Single(LoadOk(With(2, "version = 1")).Connections);
        string both = With(2, "version = 1").Replace("        children {", "        local-2 {\n auth = xauth\n}\n        remote-2 {\n auth = xauth\n}\n        children {");
        Assert.Contains(LoadErrors(both), e => e.Key == "connections.c" && e.Message.Contains("XAUTH in both directions"));
        string three = With(2, "version = 1").Replace("        children {", "        local-2 {\n auth = xauth\n}\n        local-3 {\n auth = xauth\n}\n        children {");
        Assert.Contains(LoadErrors(three), e => e.Key == "connections.c.local-3" && e.Message.Contains("more than two authentication rounds"));
    }

    [Fact]
    public void Ikev1_gateway_with_XAUTH_Mode_Config_pools_and_push()
    {
        ConnectionConfig c = LoadOk(With(2, "version = 1\npools = rw\npull = no").Replace("        children {", "        remote-2 {\n auth = xauth-generic\n}\n        children {")
            + "secrets {\n  xauth-alice {\n    id = alice\n    secret = pw\n  }\n}\n").Connections[0];
        Assert.Equal("psk", c.Remote.Auth);
        Assert.Equal(AuthClass.Xauth, c.RemoteXauth!.Class);
        Assert.Null(c.LocalXauth);
        Assert.Equal(["rw"], c.Pools);
        Assert.False(c.Pull);
        Assert.True(LoadOk(With(2, "version = 1")).Connections[0].Pull);
    }

    [Fact]
    public void Ikev1_client_with_XAUTH_and_a_virtual_IP_and_its_secret_as_an_EAP_secret()
    {
        PortcullisConfig config = LoadOk(With(2, "version = 1\nvips = 0.0.0.0").Replace("        children {", "        local-2 {\n auth = xauth\n xauth_id = alice\n}\n        children {")
            + "secrets {\n  xauth-alice {\n    id = alice\n    secret = \"pass word\"\n  }\n}\n");
        ConnectionConfig c = config.Connections[0];
        Assert.Equal("alice", c.LocalXauth!.XauthId);
        Assert.Equal([IPAddress.Any], c.Vips);
        Assert.Equal("pass word"u8.ToArray(), config.FindEapSecret("alice")!.Secret);
    }

    [Theory]
    [InlineData("dynamic[udp/1701]", 17, 1701, 1701)]
    [InlineData("%dynamic[17/1701]", 17, 1701, 1701)]
    [InlineData("dynamic[tcp]", 6, 0, 65535)]
    [InlineData("dynamic", 0, 0, 65535)]
    public void Dynamic_selectors_take_a_protocol_and_port(string value, byte protocol, ushort from, ushort to)
    {
        ChildConfig ch = LoadOk(With(10, $"                        remote_ts = {value}")).Connections[0].Children[0];
        Assert.Empty(ch.RemoteTs);
        Assert.Equal(new DynamicSelector(protocol, from, to), ch.RemoteDynamic);
        Assert.Equal(new TrafficSelector(IPAddress.Parse("192.0.2.9"), IPAddress.Parse("192.0.2.9"), protocol, from, to), ch.RemoteDynamic.For(IPAddress.Parse("192.0.2.9")));
        Assert.Equal(DynamicSelector.Any, ch.LocalDynamic);
    }

    [Theory]
    [InlineData("dynamic[udp/x]", "bad port")]
    [InlineData("dynamic[foo/1]", "unknown protocol 'foo'")]
    [InlineData("dynamicish", "not a dynamic selector")]
    [InlineData("dynamic[udp/1701], 10.0.0.0/8", "combining 'dynamic'")]
    public void Bad_dynamic_selectors_are_refused_with_the_key(string value, string message)
    {
        Assert.Contains(LoadErrors(With(10, $"                        remote_ts = {value}")), e => e.Key == "connections.c.children.ch.remote_ts" && e.Message.Contains(message) && !e.Message.Contains("0.0.0.0"));
    }

    [Fact]
    public void LaterDefinitionWinsAcrossMergedSections()
    {
        string text = With(2, "version = 1") + "connections {\n  c {\n    version = 2\n  }\n}\n";
        Assert.Equal(2, LoadOk(text).Connections[0].Version);
    }

    [Fact]
    public void SyntaxErrorsComeBackAsConfigErrorsWithoutAConfig()
    {
        IReadOnlyList<ConfigError> errors = LoadErrors("connections {\n  c {\n    version = \"2\n  }\n}\n");
        Assert.Contains(errors, e => e is { File: Main, Line: 3, Key: "connections.c.version" } && e.Message == "unterminated quoted string");
    }

    [Fact]
    public void MissingMainFileIsAnError()
    {
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load("/nonexistent/swanctl.conf", new InMemoryConfigFileSystem());
        Assert.Null(config);
        Assert.Equal("/nonexistent/swanctl.conf", Assert.Single(errors).File);
    }
}
