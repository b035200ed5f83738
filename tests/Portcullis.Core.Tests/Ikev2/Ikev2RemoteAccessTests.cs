using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portcullis.Core.Config;
using Portcullis.Core.Eap;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ipsec;
using Portcullis.Core.Pki;
using Portcullis.Core.Pools;
using Portcullis.Core.Tests.Pki;
using static Portcullis.Core.Tests.Ikev2.EnginePair;

namespace Portcullis.Core.Tests.Ikev2;

public class Ikev2RemoteAccessTests
{
    private static readonly DateTimeOffset s_now = TestPki.Now;

    /// <summary>A test CA with RSA or ECDSA keys.</summary>
    private static Issued Ca(bool ecdsa, string dn = "CN=Test CA, O=Portcullis Test, C=CH") => TestPki.Root(dn, ecdsa ? KeyKind.P256 : KeyKind.Rsa2048);

    /// <summary>An end-entity certificate with a DNS subjectAltName and serverAuth, from <paramref name="ca"/>.</summary>
    private static Issued Leaf(Issued ca, string subject, string dns, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null,
        string eku = "1.3.6.1.5.5.7.3.1") =>
        TestPki.Issue(ca, subject, ca.Key is RSA ? KeyKind.Rsa2048 : KeyKind.P256, eku: [eku], dns: [dns], notBefore: notBefore, notAfter: notAfter);

    private static ConnectionConfig Conn(bool left, AuthConfig local, AuthConfig remote, IReadOnlyList<string>? pools = null,
        IReadOnlyList<IPAddress>? vips = null, SendCertPolicy sendCert = SendCertPolicy.IfAsked, string name = "rw", bool dynamicTs = false)
    {
        ConnectionConfig template = Connection(left);
        ChildConfig child = template.Children[0];
        if (dynamicTs)
            child = new ChildConfig
            {
                Name = child.Name, Location = child.Location, EspProposals = child.EspProposals,
                LocalTs = left ? [] : [RightNet],
                RemoteTs = left ? [RightNet] : [],
            };
        return new ConnectionConfig
        {
            Name = name,
            Location = template.Location,
            LocalAddrs = template.LocalAddrs,
            RemoteAddrs = template.RemoteAddrs,
            Proposals = template.Proposals,
            Local = local,
            Remote = remote,
            Pools = pools ?? [],
            Vips = vips ?? [],
            SendCert = sendCert,
            Children = [child],
        };
    }

    private static PoolConfig Pool(string name, string addrs, params string[] dns) =>
        SwanctlConfigLoader.Load(SettingsParser.ParseText($"pools {{\n {name} {{\n addrs = {addrs}\n {(dns.Length > 0 ? "dns = " + string.Join(",", dns) : "")}\n }}\n}}\n", "test.conf").Root)
            .Config!.Pools.Single();

    // --- Certificates ---

    private static (EnginePair Pair, Issued Ca) CertPair(bool ecdsa, Func<Issued, Issued>? leftCert = null,
        SendCertPolicy sendCert = SendCertPolicy.IfAsked, string leftId = "@client.example", bool leftCertsByFile = false)
    {
        Issued ca = Ca(ecdsa);
        (X509Certificate2 lc, AsymmetricAlgorithm lk) = leftCert?.Invoke(ca) ?? Leaf(ca, "CN=client.example, O=Portcullis Test", "client.example");
        // certs = FILE names the certificate outright, whatever identity is configured (the peer then judges the match).
        string? certFile = null;
        if (leftCertsByFile)
        {
            certFile = Path.Combine(Path.GetTempPath(), $"portcullis-test-{Guid.NewGuid():N}.pem");
            File.WriteAllText(certFile, lc.ExportCertificatePem());
        }
        (X509Certificate2 rc, AsymmetricAlgorithm rk) = Leaf(ca, "CN=server.example, O=Portcullis Test", "server.example");
        var left = new PortcullisConfig
        {
            Connections = [Conn(true, new AuthConfig { Auth = "pubkey", Id = Id(leftId), Certs = certFile is null ? [] : [certFile] },
                new AuthConfig { Auth = "pubkey", Id = Id("@server.example") }, sendCert: sendCert)],
            Secrets = [],
        };
        var right = new PortcullisConfig
        {
            Connections = [Conn(false, new AuthConfig { Auth = "pubkey", Id = Id("@server.example") }, new AuthConfig { Auth = "pubkey" }, sendCert: sendCert)],
            Secrets = [],
        };
        var pair = new EnginePair(left, right) { Now = s_now };
        pair.Left.Credentials = CredentialStore.FromItems([ca.Cert], [lc], [lk], []);
        pair.Right.Credentials = CredentialStore.FromItems([ca.Cert], [rc], [rk], []);
        return (pair, ca);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Certificates_authenticate_both_sides(bool ecdsa)
    {
        (EnginePair pair, _) = CertPair(ecdsa);
        pair.Establish("net");
        (IkeSa l, IkeSa r) = (Assert.Single(pair.Events<IkeSaEstablished>(Side.Left)).IkeSa, Assert.Single(pair.Events<IkeSaEstablished>(Side.Right)).IkeSa);
        Assert.Equal(Id("@server.example"), l.RemoteId);
        Assert.Equal(Id("@client.example"), r.RemoteId);
        Assert.Contains("CN=server.example", l.RemoteCertificate!.Subject);
        Assert.Contains("CN=client.example", r.RemoteCertificate!.Subject);
        Ikev2EstablishTests.AssertChildPair(pair);
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void Send_cert_ifasked_answers_the_certreq_and_never_sends_nothing()
    {
        // With send_cert = never and no copy of the peer's certificate, the responder cannot check the initiator.
        (EnginePair pair, _) = CertPair(ecdsa: true, sendCert: SendCertPolicy.Never);
        pair.Establish("net");
        Assert.Empty(pair.Events<IkeSaEstablished>(Side.Right));
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("sent no certificate"));
    }

    [Fact]
    public void An_expired_certificate_is_refused_with_its_date()
    {
        (EnginePair pair, _) = CertPair(ecdsa: true, leftCert: ca => Leaf(ca, "CN=client.example", "client.example",
            notBefore: s_now.AddYears(-3), notAfter: s_now.AddDays(-2)));
        pair.Establish("net");
        Assert.Empty(pair.Events<IkeSaEstablished>(Side.Right));
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("expired"));
        Assert.Contains(pair.LeftLog.Warnings, w => w.Contains("AUTHENTICATION_FAILED"));
    }

    [Fact]
    public void A_certificate_from_an_unknown_ca_is_refused()
    {
        Issued other = Ca(ecdsa: true, "CN=Other CA");
        (EnginePair pair, _) = CertPair(ecdsa: true, leftCert: _ => Leaf(other, "CN=client.example", "client.example"));
        pair.Establish("net");
        Assert.Empty(pair.Events<IkeSaEstablished>(Side.Right));
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("CN=Other CA"));
    }

    [Fact]
    public void An_identity_not_in_the_certificate_is_refused_naming_both()
    {
        (EnginePair pair, _) = CertPair(ecdsa: false, leftId: "@mallory.example", leftCertsByFile: true);
        pair.Establish("net");
        Assert.Empty(pair.Events<IkeSaEstablished>(Side.Right));
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("mallory.example") && w.Contains("client.example"));
    }

    [Fact]
    public void A_certificate_for_email_protection_only_is_refused_as_wrong_eku()
    {
        (EnginePair pair, _) = CertPair(ecdsa: true, leftCert: ca => Leaf(ca, "CN=client.example", "client.example", eku: "1.3.6.1.5.5.7.3.4"));
        pair.Establish("net");
        Assert.Empty(pair.Events<IkeSaEstablished>(Side.Right));
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("EKU", StringComparison.OrdinalIgnoreCase));
    }

    // --- EAP-MSCHAPv2 and virtual IPs ---

    private static EnginePair EapPair(string user, string password, string configuredPassword, bool askIdentity, PoolConfig? pool = null)
    {
        Issued ca = Ca(ecdsa: true);
        (X509Certificate2 rc, AsymmetricAlgorithm rk) = Leaf(ca, "CN=server.example", "server.example");
        var left = new PortcullisConfig
        {
            Connections = [Conn(true, new AuthConfig { Auth = "eap-mschapv2", Id = Id(user) }, new AuthConfig { Auth = "pubkey", Id = Id("@server.example") },
                vips: [IPAddress.Any], dynamicTs: true)],
            Secrets = [],
            EapSecrets = [new EapSecret { Name = "eap-me", Ids = [Id(user)], Secret = System.Text.Encoding.UTF8.GetBytes(password) }],
        };
        var right = new PortcullisConfig
        {
            Connections = [Conn(false, new AuthConfig { Auth = "pubkey", Id = Id("@server.example") }, new AuthConfig { Auth = "eap-mschapv2", EapId = askIdentity ? "%any" : null },
                pools: ["rw"], dynamicTs: true)],
            Secrets = [],
            EapSecrets = [new EapSecret { Name = "eap-user", Ids = [Id(user)], Secret = System.Text.Encoding.UTF8.GetBytes(configuredPassword) }],
            Pools = [pool ?? Pool("rw", "198.18.100.0/24", "198.18.0.53")],
        };
        var pair = new EnginePair(left, right) { Now = s_now };
        pair.Left.Credentials = CredentialStore.FromItems([ca.Cert], [], [], []);
        pair.Right.Credentials = CredentialStore.FromItems([ca.Cert], [rc], [rk], []);
        return pair;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Eap_mschapv2_client_gets_a_virtual_ip_and_dns_from_the_pool(bool askIdentity)
    {
        EnginePair pair = EapPair("alice@example.org", "s3cret", "s3cret", askIdentity);
        pair.Establish("net");
        IkeSa l = Assert.Single(pair.Events<IkeSaEstablished>(Side.Left)).IkeSa;
        IkeSa r = Assert.Single(pair.Events<IkeSaEstablished>(Side.Right)).IkeSa;
        Assert.Equal("alice@example.org", r.RemoteEapIdentity);
        IPAddress vip = Assert.Single(l.LocalVirtualIps);
        Assert.Equal(vip, Assert.Single(r.RemoteVirtualIps));
        Assert.StartsWith("198.18.100.", vip.ToString());
        Assert.Equal(IPAddress.Parse("198.18.0.53"), Assert.Single(l.ReceivedDns));
        (ChildSa lc, ChildSa rc) = Ikev2EstablishTests.AssertChildPair(pair);
        Assert.Equal(TrafficSelector.ForHost(vip), Assert.Single(lc.LocalTs));
        Assert.Equal(TrafficSelector.ForHost(vip), Assert.Single(rc.RemoteTs));
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void Eap_with_a_wrong_password_fails_on_both_sides_and_leases_nothing()
    {
        EnginePair pair = EapPair("alice@example.org", "guess", "s3cret", askIdentity: true);
        pair.Establish("net");
        Assert.Empty(pair.Events<IkeSaEstablished>(Side.Left));
        Assert.Empty(pair.Events<IkeSaEstablished>(Side.Right));
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("alice@example.org"));
        Assert.Empty(pair.Left.IkeSas);
        Assert.Empty(pair.Right.IkeSas);
        Assert.Equal(0, pair.Right.Pools.Status("rw").Online);
    }

    [Fact]
    public void The_lease_goes_back_when_the_sa_dies_and_follows_an_ike_rekey()
    {
        EnginePair pair = EapPair("alice@example.org", "s3cret", "s3cret", askIdentity: false);
        pair.Establish("net");
        IkeSa r = Assert.Single(pair.Events<IkeSaEstablished>(Side.Right)).IkeSa;
        Assert.Equal(1, pair.Right.Pools.Status("rw").Online);
        IkeSa l = Assert.Single(pair.Left.IkeSas);
        l.RekeyIke(pair.Now);
        pair.Drive(TimeSpan.FromSeconds(40));
        IkeSa rekeyed = Assert.Single(pair.Right.IkeSas);
        Assert.NotSame(r, rekeyed);
        Assert.Equal(r.RemoteVirtualIps, rekeyed.RemoteVirtualIps);
        Assert.Equal(1, pair.Right.Pools.Status("rw").Online);
        pair.Left.Terminate(pair.Now, "rw");
        pair.Drive(TimeSpan.FromSeconds(10));
        Assert.Empty(pair.Right.IkeSas);
        Assert.Equal(0, pair.Right.Pools.Status("rw").Online);
    }

    [Fact]
    public void An_exhausted_pool_answers_internal_address_failure_and_keeps_the_ike_sa()
    {
        PoolConfig tiny = Pool("rw", "198.18.100.7-198.18.100.7");
        EnginePair pair = EapPair("alice@example.org", "s3cret", "s3cret", askIdentity: false, pool: tiny);
        pair.Right.Pools.Acquire(["rw"], "someone-else", AddressFamily.InterNetwork, null);
        pair.Establish("net");
        Assert.Single(pair.Events<IkeSaEstablished>(Side.Right));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
        Assert.Contains(pair.LeftLog.Lines, l => l.Text.Contains("INTERNAL_ADDRESS_FAILURE"));
    }

    [Fact]
    public void Many_clients_with_psk_get_distinct_addresses()
    {
        // Left runs ten connections with ten identities; the server's one connection accepts any identity.
        var conns = Enumerable.Range(1, 10).Select(i => Conn(true, new AuthConfig { Auth = "psk", Id = Id($"@client{i}.example") },
            new AuthConfig { Auth = "psk", Id = Id("@right.example") }, vips: [IPAddress.Any], name: $"c{i}", dynamicTs: true)).ToList();
        conns = conns.Select(c => new ConnectionConfig
        {
            Name = c.Name, Location = c.Location, LocalAddrs = c.LocalAddrs, RemoteAddrs = c.RemoteAddrs, Proposals = c.Proposals,
            Local = c.Local, Remote = c.Remote, Vips = c.Vips,
            Children = [new ChildConfig { Name = c.Name, Location = c.Location, EspProposals = c.Children[0].EspProposals, RemoteTs = [RightNet] }],
        }).ToList();
        var psk = new SharedSecret { Name = "ike-all", Secret = DefaultPsk };
        var left = new PortcullisConfig { Connections = conns, Secrets = [psk] };
        var right = new PortcullisConfig
        {
            Connections = [Conn(false, new AuthConfig { Auth = "psk", Id = Id("@right.example") }, new AuthConfig { Auth = "psk" }, pools: ["rw"], dynamicTs: true)],
            Secrets = [psk],
            Pools = [Pool("rw", "198.18.100.0/24")],
        };
        var pair = new EnginePair(left, right) { Now = s_now };
        foreach (ConnectionConfig c in conns) Assert.True(pair.Left.Initiate(pair.Now, c.Name, out string? error), error);
        pair.Drive();
        List<IkeSa> server = pair.Events<IkeSaEstablished>(Side.Right).Select(e => e.IkeSa).ToList();
        Assert.Equal(10, server.Count);
        Assert.Equal(10, server.SelectMany(s => s.RemoteVirtualIps).Distinct().Count());
        Assert.Equal(10, pair.Events<ChildSaInstalled>(Side.Left).Count());
    }
}

public class Ikev2KeyExchangeGroupTests
{
    [Fact]
    public void The_initiators_group_is_taken_only_from_our_proposal_that_matches()
    {
        // Our aes128-sha256 proposal allows only MODP-2048; MODP-4096 belongs to another proposal. An initiator that
        // offers aes128-sha256 with both groups and sends MODP-4096 is asked for MODP-2048, not given a mix.
        var pair = new EnginePair(MakeConfig(Connection(left: true, ike: "aes128-sha256-modp4096-modp2048")),
            MakeConfig(Connection(left: false, ike: "aes128-sha256-modp2048,aes256gcm16-prfsha384-modp4096")));
        pair.Establish();
        IkeSa r = Assert.Single(pair.Events<IkeSaEstablished>(Side.Right)).IkeSa;
        Assert.Equal("modp2048", r.Proposal!.KeyExchange!.Keyword);
        Assert.Contains(pair.RightLog.Lines, l => l.Text.Contains("INVALID_KE_PAYLOAD"));
    }

    [Fact]
    public void The_initiators_group_is_accepted_when_the_matching_proposal_names_it()
    {
        var pair = new EnginePair(MakeConfig(Connection(left: true, ike: "aes128-sha256-modp4096-modp2048")),
            MakeConfig(Connection(left: false, ike: "aes128-sha256-modp2048-modp4096")));
        pair.Establish();
        IkeSa r = Assert.Single(pair.Events<IkeSaEstablished>(Side.Right)).IkeSa;
        Assert.Equal("modp4096", r.Proposal!.KeyExchange!.Keyword);
        Assert.DoesNotContain(pair.RightLog.Lines, l => l.Text.Contains("INVALID_KE_PAYLOAD"));
    }
}
