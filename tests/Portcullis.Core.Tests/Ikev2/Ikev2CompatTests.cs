using Portcullis.Core.Config;
using Portcullis.Core.Ikev2;
using static Portcullis.Core.Tests.Ikev2.EnginePair;

namespace Portcullis.Core.Tests.Ikev2;

/// <summary>
/// A built-in client's default proposals (the initiator, left) against a Portcullis responder (right, loaded from
/// swanctl.conf text) with and without <c>compat</c>: full IKE_SA_INIT and IKE_AUTH with a PSK.
/// </summary>
public class Ikev2CompatTests
{
    private const string Hardened = "aes256gcm16-prfsha384-ecp384";

    /// <summary>The client: exactly the profile's IKE and ESP proposals, in its order.</summary>
    private static PortcullisConfig Client(NativeClientProfile profile)
    {
        ConnectionConfig template = Connection(left: true);
        var child = new ChildConfig
        {
            Name = "net",
            Location = template.Children[0].Location,
            LocalTs = template.Children[0].LocalTs,
            RemoteTs = template.Children[0].RemoteTs,
            EspProposals = profile.EspProposals,
        };
        return MakeConfig(new ConnectionConfig
        {
            Name = "net",
            Location = template.Location,
            LocalAddrs = template.LocalAddrs,
            RemoteAddrs = template.RemoteAddrs,
            Proposals = profile.IkeProposals,
            Local = template.Local,
            Remote = template.Remote,
            Children = [child],
        });
    }

    /// <summary>The gateway, through the configuration loader: strongSwan's defaults unless <paramref name="ike"/> is given.</summary>
    private static PortcullisConfig Gateway(string? compat, string? ike = null, string? esp = null)
    {
        var fs = new InMemoryConfigFileSystem();
        fs.Add("/etc/swanctl/swanctl.conf", $$"""
            connections {
                rw {
                    local_addrs = 192.0.2.2
                    {{(ike is null ? "" : $"proposals = {ike}")}}
                    {{(compat is null ? "" : $"compat = {compat}")}}
                    local {
                        auth = psk
                        id = "@right.example"
                    }
                    remote {
                        auth = psk
                        id = "@left.example"
                    }
                    children {
                        net {
                            local_ts = 198.51.100.64/26
                            remote_ts = 198.51.100.0/26
                            {{(esp is null ? "" : $"esp_proposals = {esp}")}}
                        }
                    }
                }
            }
            secrets {
                ike-test {
                    id-1 = "@left.example"
                    id-2 = "@right.example"
                    secret = "correct horse battery staple"
                }
            }
            """);
        (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load("/etc/swanctl/swanctl.conf", fs);
        Assert.Empty(errors);
        return config!;
    }

    private static EnginePair Run(string profile, PortcullisConfig gateway)
    {
        var pair = new EnginePair(Client(NativeClientProfiles.Find(profile)!), gateway);
        pair.Establish();
        return pair;
    }

    private static void AssertEstablished(EnginePair pair)
    {
        Assert.True(Assert.Single(pair.Events<IkeSaEstablished>(Side.Right)) is not null, pair.Dump());
        Assert.Single(pair.Events<ChildSaInstalled>(Side.Right));
        Assert.Single(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.DoesNotContain(pair.RightLog.Warnings, w => w.Contains("no proposal chosen"));
    }

    private static string AssertRefused(EnginePair pair)
    {
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
        Assert.True(pair.LeftLog.Has("NO_PROPOSAL_CHOSEN"), pair.Dump());
        string line = Assert.Single(pair.RightLog.Warnings, w => w.Contains("no proposal chosen"));
        Assert.StartsWith("rw[", line);
        return line;
    }

    [Theory]
    [InlineData("windows", null, null)]
    [InlineData("macos-ios", Hardened, "aes256gcm16")]
    [InlineData("android", Hardened, "aes256gcm16")]
    [InlineData("strongswan-app", Hardened, "aes256gcm16")]
    public void Every_profile_is_accepted_with_compat_native_clients(string profile, string? ike, string? esp)
    {
        AssertEstablished(Run(profile, Gateway("native-clients", ike, esp)));
        AssertEstablished(Run(profile, Gateway(profile, ike, esp)));
    }

    [Fact]
    public void Windows_with_compat_gets_aes_never_3des_and_the_log_names_the_choice()
    {
        EnginePair pair = Run("windows", Gateway("native-clients"));
        AssertEstablished(pair);
        NegotiatedProposal ike = pair.Right.IkeSas.Single().Proposal!;
        Assert.Equal("ENCR_AES_CBC", ike.Encryption!.Name);
        Assert.Equal("modp1024", ike.KeyExchange!.Keyword);
        ChildSa child = pair.Events<ChildSaInstalled>(Side.Right).Single().ChildSa;
        Assert.Equal("aes256", child.Proposal.Encryption!.Keyword);
        Assert.Equal("sha1", child.Proposal.Integrity!.Keyword);
    }

    [Fact]
    public void Windows_without_compat_is_refused_naming_what_the_defaults_lack_and_the_setting_that_accepts_it()
    {
        string line = AssertRefused(Run("windows", Gateway(compat: null)));
        Assert.EndsWith("; no match for KEY_EXCHANGE_METHOD; connection rw lacks ENCR_3DES, AUTH_HMAC_SHA1_96, 1024-bit MODP Group that the peer "
            + "offered (this is Windows' default list; set compat = windows or native-clients to accept it)", line);
    }

    [Fact]
    public void Windows_is_refused_by_a_connection_whose_compat_names_only_other_clients()
    {
        string line = AssertRefused(Run("windows", Gateway("android,strongswan-app")));
        Assert.Contains("(this is Windows' default list; set compat = windows or native-clients to accept it)", line);
    }

    [Theory]
    [InlineData("macos-ios", "this is macOS/iOS's default list; set compat = macos-ios or native-clients to accept it")]
    [InlineData("android", "this is Android's default list; set compat = android or native-clients to accept it")]
    public void A_hardened_connection_without_compat_refuses_the_client_and_says_which_profile_would_accept_it(string profile, string hint)
    {
        string line = AssertRefused(Run(profile, Gateway(null, Hardened, "aes256gcm16")));
        Assert.Contains("connection rw lacks ", line);
        Assert.EndsWith($"({hint})", line);
    }

    [Theory]
    [InlineData("macos-ios")]
    [InlineData("android")]
    [InlineData("strongswan-app")]
    public void Portcullis_defaults_accept_these_clients_without_compat(string profile)
    {
        AssertEstablished(Run(profile, Gateway(compat: null)));
    }

    [Fact]
    public void The_strongswan_app_needs_no_compat_even_on_a_hardened_connection()
    {
        AssertEstablished(Run("strongswan-app", Gateway(null, Hardened, "aes256gcm16")));
    }

    [Fact]
    public void An_esp_mismatch_in_ike_auth_names_what_the_child_lacks()
    {
        // The IKE SA matches (one of Windows' IKE proposals is configured) but the child has only the ESP defaults.
        string line = AssertRefused(Run("windows", Gateway(null, ike: "aes256-sha256-modp1024")));
        Assert.Contains("no match for ESP ", line);
        Assert.EndsWith("connection rw lacks ENCR_3DES, ENCR_DES, ENCR_NULL, AUTH_HMAC_SHA1_96 that the peer offered "
            + "(this is Windows' default list; set compat = windows or native-clients to accept it)", line);
    }
}
