using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Tests.Config;

public class NativeClientProfilesTests
{
    private const string Main = "/etc/swanctl/swanctl.conf";

    private static NativeClientProfile Profile(string name) => NativeClientProfiles.Find(name) ?? throw new ArgumentException(name);

    private static IReadOnlyList<Proposal> Parse(string text, ProposalKind kind)
    {
        (IReadOnlyList<Proposal> proposals, IReadOnlyList<string> errors) = ProposalParser.Parse(text, kind);
        Assert.Empty(errors);
        return proposals;
    }

    private static ConnectionConfig LoadConnection(string connectionBody)
    {
        var fs = new InMemoryConfigFileSystem();
        fs.Add(Main, $$"""
            connections {
                rw {
                    {{connectionBody}}
                    local { auth = psk }
                    remote { auth = psk }
                    children { net { local_ts = 198.18.1.0/24 } }
                }
            }
            """);
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load(Main, fs);
        Assert.Empty(errors);
        return Assert.Single(config!.Connections);
    }

    [Fact]
    public void There_are_four_profiles_with_the_documented_names()
    {
        Assert.Equal(["windows", "macos-ios", "android", "strongswan-app"], NativeClientProfiles.All.Select(p => p.Name));
    }

    [Theory]
    [InlineData("windows", 18, 5)]
    [InlineData("macos-ios", 5, 3)]
    [InlineData("android", 2, 2)]
    [InlineData("strongswan-app", 2, 4)] // IKE "default": strongSwan's two default proposals
    public void Every_profile_parses_and_every_algorithm_is_a_registry_transform(string name, int ike, int esp)
    {
        NativeClientProfile profile = Profile(name);
        Assert.Equal(ike, profile.IkeProposals.Count);
        Assert.Equal(esp, profile.EspProposals.Count);
        foreach (Proposal p in profile.IkeProposals.Concat(profile.EspProposals))
        {
            foreach (Transform t in p.Transforms)
            {
                Assert.True(TransformRegistry.TryGet(t.Type, t.Id, t.KeyBits, out Transform? registered));
                Assert.Same(registered, t);
            }
        }
        Assert.All(profile.IkeProposals, p => Assert.True(p.Prf.Any() && p.KeyExchange.Any() && p.Encryption.Any()));
        Assert.All(profile.EspProposals, p => Assert.True(p.Encryption.Any() && p.Esn.Any()));
    }

    [Fact]
    public void Windows_profile_is_the_documented_list_and_leaves_single_des_and_null_out_of_what_it_accepts()
    {
        NativeClientProfile windows = Profile("windows");
        Assert.Equal("3des-sha1-modp1024", windows.IkeProposalText[0]);
        Assert.Equal("aes256-sha384-modp1024", windows.IkeProposalText[11]);
        Assert.All(windows.IkeProposals, p => Assert.Equal("modp1024", Assert.Single(p.KeyExchange).Keyword));
        Assert.Equal(["aes256-sha1", "aes128-sha1", "3des-sha1", "des-sha1", "null-sha1"], windows.EspProposalText);
        Assert.Equal(18, windows.AcceptedIkeProposals.Count);
        Assert.Equal(["aes256-sha1-noesn", "aes128-sha1-noesn", "3des-sha1-noesn"], windows.AcceptedEspProposals.Select(p => p.ToString()));
    }

    [Theory]
    [InlineData("native-clients", "windows,macos-ios,android,strongswan-app")]
    [InlineData("android, windows", "windows,android")]
    [InlineData("Windows", "windows")]
    [InlineData("windows,native-clients", "windows,macos-ios,android,strongswan-app")]
    [InlineData("macos-ios,macos-ios", "macos-ios")]
    public void Compat_values_parse_to_profiles_in_table_order(string value, string expected)
    {
        Assert.True(NativeClientProfiles.TryParse(value, out IReadOnlyList<NativeClientProfile> profiles, out string? error), error);
        Assert.Equal(expected, string.Join(",", profiles.Select(p => p.Name)));
    }

    [Theory]
    [InlineData("win10", "unknown compat profile 'win10' (native-clients, or a list of windows, macos-ios, android, strongswan-app)")]
    [InlineData("windows,,android", "empty compat profile in 'windows,,android'")]
    [InlineData("yes", "unknown compat profile 'yes'")]
    public void Bad_compat_values_are_refused_with_the_choices(string value, string message)
    {
        Assert.False(NativeClientProfiles.TryParse(value, out _, out string? error));
        Assert.StartsWith(message, error);
    }

    [Fact]
    public void Describe_gives_native_clients_for_all_and_the_list_otherwise()
    {
        Assert.Equal("native-clients", NativeClientProfiles.Describe(NativeClientProfiles.All));
        Assert.Equal("windows,android", NativeClientProfiles.Describe([Profile("windows"), Profile("android")]));
    }

    [Fact]
    public void Merge_keeps_the_configured_proposals_first_and_unchanged()
    {
        IReadOnlyList<Proposal> configured = Parse("aes256gcm16-prfsha384-ecp384", ProposalKind.Ike);
        IReadOnlyList<Proposal> merged = NativeClientProfiles.Merge(configured, [Profile("windows")], ProposalKind.Ike);
        Assert.Same(configured[0], merged[0]);
        Assert.Equal(1 + 18, merged.Count);
        Assert.Same(configured, NativeClientProfiles.Merge(configured, [], ProposalKind.Ike));
    }

    [Fact]
    public void Merge_orders_added_proposals_by_their_legacy_transforms_fewest_first()
    {
        IReadOnlyList<Proposal> merged = NativeClientProfiles.Merge(ProposalParser.Default(ProposalKind.Ike), [Profile("windows")], ProposalKind.Ike);
        List<string> added = merged.Skip(2).Select(p => p.ToString()).ToList();
        // One legacy transform (MODP-1024) first, in Windows' order; 3DES with HMAC-SHA1-96 (three) last.
        Assert.Equal("aes128-sha256-modp1024-prfsha256", added[0]);
        Assert.Equal("3des-sha1-modp1024-prfsha1", added[^1]);
        List<int> legacy = merged.Skip(2).Select(p => p.Transforms.Count(t => t.Legacy)).ToList();
        Assert.Equal(legacy.Order(), legacy);
    }

    [Fact]
    public void Merge_skips_proposals_already_covered()
    {
        // The connection already covers three of Windows' proposals: only the other 15 are added.
        IReadOnlyList<Proposal> configured = Parse("aes256-sha256-modp1024, aes128gcm16-aes256gcm16-prfsha1-modp1024", ProposalKind.Ike);
        IReadOnlyList<Proposal> merged = NativeClientProfiles.Merge(configured, [Profile("windows")], ProposalKind.Ike);
        Assert.Equal(2 + 18 - 1 - 2, merged.Count);
        Assert.DoesNotContain(merged.Skip(2), p => p.ToString() == "aes256-sha256-modp1024-prfsha256");
        // Two profiles offering the same proposal add it once.
        IReadOnlyList<Proposal> both = NativeClientProfiles.Merge(configured, [Profile("windows"), Profile("macos-ios")], ProposalKind.Ike);
        Assert.Single(both, p => p.ToString() == "3des-sha1-modp1024-prfsha1");
    }

    [Fact]
    public void An_esp_proposal_with_a_pfs_group_does_not_cover_one_without()
    {
        Proposal withPfs = Parse("aes256-sha256-modp2048", ProposalKind.Esp)[0];
        Proposal without = Parse("aes256-sha256", ProposalKind.Esp)[0];
        Proposal wider = Parse("aes128-aes256-sha1-sha256", ProposalKind.Esp)[0];
        Assert.False(NativeClientProfiles.Covers(withPfs, without));
        Assert.False(NativeClientProfiles.Covers(without, withPfs));
        Assert.True(NativeClientProfiles.Covers(wider, without));
        Assert.False(NativeClientProfiles.Covers(without, wider));
    }

    [Fact]
    public void The_loader_merges_compat_into_the_ike_and_every_childs_esp_proposals()
    {
        ConnectionConfig rw = LoadConnection("compat = native-clients");
        Assert.Equal(NativeClientProfiles.All, rw.Compat);
        Assert.Equal(2, rw.ConfiguredProposals.Count);
        Assert.True(rw.Proposals.Count > rw.ConfiguredProposals.Count);
        Assert.Equal(rw.ConfiguredProposals.Select(p => p.ToString()), rw.Proposals.Take(2).Select(p => p.ToString()));
        ChildConfig net = Assert.Single(rw.Children);
        Assert.Equal(2, net.ConfiguredEspProposals.Count);
        Assert.Contains(net.EspProposals, p => p.ToString() == "aes256-sha1-noesn");

        ConnectionConfig plain = LoadConnection("proposals = default");
        Assert.Empty(plain.Compat);
        Assert.Same(plain.Proposals, plain.ConfiguredProposals);
        Assert.Same(plain.Children[0].EspProposals, plain.Children[0].ConfiguredEspProposals);
        Assert.Null(NativeClientProfiles.DescribeCompat(plain));
    }

    [Fact]
    public void A_bad_compat_value_is_an_error_with_file_line_and_key()
    {
        var fs = new InMemoryConfigFileSystem();
        fs.Add(Main, """
            connections {
                rw {
                    compat = windows, win11
                    local { auth = psk }
                    remote { auth = psk }
                }
            }
            """);
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load(Main, fs);
        Assert.Null(config);
        ConfigError error = Assert.Single(errors);
        Assert.Equal(Main, error.File);
        Assert.Equal(3, error.Line);
        Assert.Equal("connections.rw.compat", error.Key);
        Assert.StartsWith("/etc/swanctl/swanctl.conf:3: connections.rw.compat: unknown compat profile 'win11'", error.ToString());
    }

    [Fact]
    public void Compat_windows_names_the_legacy_algorithms_it_lets_in()
    {
        ConnectionConfig rw = LoadConnection("compat = windows");
        IReadOnlyList<CompatLegacyAlgorithm> legacy = NativeClientProfiles.LegacyAllowed(rw);
        Assert.Equal(["ENCR_3DES", "AUTH_HMAC_SHA1_96", "1024-bit MODP Group"], legacy.Select(l => l.Transform.Name));
        Assert.All(legacy, l => Assert.Equal("windows", Assert.Single(l.OfferedBy).Name));
        string text = NativeClientProfiles.DescribeCompat(rw)!;
        Assert.StartsWith("compat windows accepts legacy algorithms ", text);
        Assert.Contains("ENCR_3DES (Windows)", text);
        Assert.Contains("1024-bit MODP Group (Windows)", text);
        Assert.Contains("AUTH_HMAC_SHA1_96 (Windows)", text);
        Assert.DoesNotContain("ENCR_DES", text);
        Assert.DoesNotContain("ENCR_NULL", text);
        Assert.EndsWith("; 18 IKE and 3 ESP proposals added after the configured ones", text);
    }

    [Fact]
    public void Compat_native_clients_attributes_each_legacy_algorithm_to_the_clients_that_offer_it()
    {
        ConnectionConfig rw = LoadConnection("compat = native-clients");
        IReadOnlyList<CompatLegacyAlgorithm> legacy = NativeClientProfiles.LegacyAllowed(rw);
        CompatLegacyAlgorithm modp1024 = Assert.Single(legacy, l => l.Transform.Keyword == "modp1024");
        Assert.Equal(["windows", "macos-ios"], modp1024.OfferedBy.Select(p => p.Name));
        Assert.Equal(["macos-ios"], Assert.Single(legacy, l => l.Transform.Keyword == "modp1536").OfferedBy.Select(p => p.Name));
        Assert.Equal(["windows", "macos-ios", "strongswan-app"], Assert.Single(legacy, l => l.Transform.Keyword == "sha1").OfferedBy.Select(p => p.Name));
        Assert.DoesNotContain(legacy, l => l.Transform.Keyword is "des" or "null");
        Assert.StartsWith("compat native-clients accepts legacy algorithms ENCR_3DES (Windows, macOS/iOS)", NativeClientProfiles.DescribeCompat(rw));
    }

    [Fact]
    public void Compat_android_lets_no_legacy_algorithm_in()
    {
        ConnectionConfig rw = LoadConnection("proposals = aes256gcm16-prfsha384-ecp384\n compat = android");
        Assert.Empty(NativeClientProfiles.LegacyAllowed(rw));
        Assert.Equal("compat android accepts no legacy algorithm; 2 IKE and 2 ESP proposals added after the configured ones", NativeClientProfiles.DescribeCompat(rw));
    }

    // ---- what the responder's log says when nothing matches ----

    private static IReadOnlyList<WireProposal> Offer(IEnumerable<string> texts, ProtocolId protocol, bool withKeyExchange = true)
    {
        ProposalKind kind = protocol == ProtocolId.Ike ? ProposalKind.Ike : ProposalKind.Esp;
        return ProposalMatcher.ToWire(texts.SelectMany(t => Parse(t, kind)).ToList(), protocol, protocol == ProtocolId.Ike ? [] : [1, 2, 3, 4], withKeyExchange);
    }

    [Fact]
    public void Lacking_lists_what_the_peer_offered_and_no_configured_proposal_has_per_transform_type()
    {
        IReadOnlyList<WireTransform> lacking = ProposalMatcher.Lacking(ProposalParser.Default(ProposalKind.Ike), Offer(Profile("windows").IkeProposalText, ProtocolId.Ike), ProtocolId.Ike, false);
        Assert.Equal([new WireTransform(TransformType.Encryption, 3), new WireTransform(TransformType.Integrity, 2), new WireTransform(TransformType.KeyExchange, 2)], lacking);
        Assert.Empty(ProposalMatcher.Lacking(ProposalParser.Default(ProposalKind.Ike), Offer(["aes128-sha256-ecp256"], ProtocolId.Ike), ProtocolId.Ike, false));
    }

    [Fact]
    public void A_windows_offer_against_the_defaults_is_named_as_windows_default_list()
    {
        string text = ProposalMatcher.ExplainMismatch("rw", ProposalParser.Default(ProposalKind.Ike), [], Offer(Profile("windows").IkeProposalText, ProtocolId.Ike), ProtocolId.Ike, false);
        Assert.Equal("connection rw lacks ENCR_3DES, AUTH_HMAC_SHA1_96, 1024-bit MODP Group that the peer offered "
            + "(this is Windows' default list; set compat = windows or native-clients to accept it)", text);
    }

    [Fact]
    public void An_offer_a_profile_accepts_but_is_not_its_exact_list_is_hinted_too()
    {
        // A Windows 10 that sends only AES-256 with SHA-1 (a shorter list seen in the wild).
        string text = ProposalMatcher.ExplainMismatch("rw", ProposalParser.Default(ProposalKind.Ike), [], Offer(["aes256-sha1-modp1024"], ProtocolId.Ike), ProtocolId.Ike, false);
        Assert.Equal("connection rw lacks AUTH_HMAC_SHA1_96, 1024-bit MODP Group that the peer offered (compat = windows or native-clients would accept it)", text);
    }

    [Fact]
    public void Profiles_the_connection_already_has_are_not_suggested()
    {
        string text = ProposalMatcher.ExplainMismatch("rw", ProposalParser.Default(ProposalKind.Ike), [Profile("windows")], Offer(["3des-md5-modp768"], ProtocolId.Ike), ProtocolId.Ike, false);
        Assert.Equal("connection rw lacks ENCR_3DES, PRF_HMAC_MD5, AUTH_HMAC_MD5_96, 768-bit MODP Group that the peer offered", text);
    }

    [Fact]
    public void An_esp_mismatch_in_ike_auth_ignores_pfs_groups_and_names_key_lengths()
    {
        IReadOnlyList<Proposal> configured = Parse("aes128ccm16", ProposalKind.Esp);
        string text = ProposalMatcher.ExplainMismatch("rw", configured, [], Offer(Profile("android").EspProposalText, ProtocolId.Esp, withKeyExchange: false), ProtocolId.Esp, true);
        Assert.StartsWith("connection rw lacks ENCR_AES_CTR_256, ENCR_AES_CBC_256,", text);
        Assert.EndsWith("(this is Android's default list; set compat = android or native-clients to accept it)", text);
        Assert.Equal("connection rw has every algorithm the peer offered, but not together in one proposal (compat = windows,macos-ios,strongswan-app or native-clients would accept it)",
            ProposalMatcher.ExplainMismatch("rw", Parse("aes128-sha256, aes256-sha1", ProposalKind.Esp), [], Offer(["aes128-sha1"], ProtocolId.Esp, false), ProtocolId.Esp, true));
    }

    [Fact]
    public void Android_11_and_12_lists_are_accepted_by_the_android_profile()
    {
        // AOSP VpnIkev2Utils as shipped in Android 11: AES-CBC or AES-GCM, PRF AES-XCBC or SHA-1, MODP 2048 to 4096.
        IReadOnlyList<WireProposal> ike = Offer(
        [
            "aes256-aes192-aes128-sha512-sha384-sha256-aesxcbc-prfaesxcbc-prfsha1-modp4096-modp3072-modp2048",
            "aes256gcm16-aes256gcm12-aes256gcm8-aes192gcm16-aes192gcm12-aes192gcm8-aes128gcm16-aes128gcm12-aes128gcm8-prfaesxcbc-prfsha1-modp4096-modp3072-modp2048",
        ], ProtocolId.Ike);
        IReadOnlyList<WireProposal> esp = Offer(["aes256-aes192-aes128-sha512-sha384-sha256", "aes256gcm16-aes256gcm12-aes256gcm8-aes192gcm16-aes192gcm12-aes192gcm8-aes128gcm16-aes128gcm12-aes128gcm8"], ProtocolId.Esp);
        Assert.NotNull(ProposalMatcher.Select(Profile("android").AcceptedIkeProposals, ike, ProtocolId.Ike, false, out _));
        Assert.NotNull(ProposalMatcher.Select(Profile("android").AcceptedEspProposals, esp, ProtocolId.Esp, true, out _));
    }
}
