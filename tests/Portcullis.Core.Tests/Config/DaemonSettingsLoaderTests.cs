using Portcullis.Core.Config;
using Portcullis.Core.Ikev2;

namespace Portcullis.Core.Tests.Config;

public class DaemonSettingsLoaderTests
{
    private const string Main = "/etc/portcullis/strongswan.conf";

    private static (DaemonSettings? Settings, IReadOnlyList<ConfigError> Errors, IReadOnlyList<ConfigError> Warnings) Load(string text,
        InMemoryConfigFileSystem? fs = null)
    {
        fs ??= new InMemoryConfigFileSystem();
        fs.Add(Main, text);
        return DaemonSettingsLoader.Load(Main, fs, required: true);
    }

    [Fact]
    public void Dos_protection_keys_are_read_and_applied()
    {
        (DaemonSettings? settings, IReadOnlyList<ConfigError> errors, IReadOnlyList<ConfigError> warnings) = Load("""
            charon {
                dos_protection = no
                cookie_threshold = 30
                block_threshold = 3
                init_limit_half_open = 1000
            }
            """);
        Assert.Empty(errors);
        Assert.Empty(warnings);
        IkeEngineOptions options = settings!.ApplyTo(new IkeEngineOptions());
        Assert.False(options.DosProtection);
        Assert.Equal(30, options.CookieThreshold);
        Assert.Equal(3, options.BlockThreshold);
        Assert.Equal(1000, options.InitLimitHalfOpen);
        (_, errors, _) = Load("charon {\n  dos_protection = perhaps\n}\n");
        ConfigError e = Assert.Single(errors);
        Assert.Equal(("charon.dos_protection", 2), (e.Key, e.Line));
    }

    [Fact]
    public void The_transport_mode_routing_table_and_its_rule_priority_are_read_and_checked()
    {
        (DaemonSettings? settings, IReadOnlyList<ConfigError> errors, IReadOnlyList<ConfigError> warnings) = Load("""
            charon {
                routing_table = 0x1f4
                routing_table_prio = 1000
            }
            """);
        Assert.Empty(errors);
        Assert.Empty(warnings);
        Assert.Equal((500, 1000), (settings!.RoutingTable, settings.RoutingTablePriority));
        (settings, _, _) = Load("charon {\n  routing_table = 0\n}\n");
        Assert.Equal(0, settings!.RoutingTable);
        (_, errors, _) = Load("charon {\n  routing_table = 254\n  routing_table_prio = 0\n}\n");
        Assert.Equal([("charon.routing_table", 2), ("charon.routing_table_prio", 3)], errors.Select(e => (e.Key, e.Line)));
        Assert.Contains("main", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_implemented_key_is_read_and_applied_to_the_engine_options()
    {
        (DaemonSettings? settings, IReadOnlyList<ConfigError> errors, IReadOnlyList<ConfigError> warnings) = Load("""
            # strongswan.conf for Portcullis
            charon {
                retransmit_tries = 3
                retransmit_timeout = 2.5
                retransmit_base = 1.5
                retransmit_limit = 20
                half_open_timeout = 1m
                fragment_size = 1400
            }
            """);
        Assert.Empty(errors);
        Assert.Empty(warnings);
        Assert.Equal(new DaemonSettings
        {
            RetransmitTries = 3, RetransmitTimeout = TimeSpan.FromSeconds(2.5), RetransmitBase = 1.5,
            RetransmitLimit = TimeSpan.FromSeconds(20), HalfOpenTimeout = TimeSpan.FromMinutes(1), FragmentSize = 1400,
        }, settings);

        IkeEngineOptions options = settings!.ApplyTo(new IkeEngineOptions { IkePort = 1500 });
        Assert.Equal(3, options.RetransmitTries);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.RetransmitTimeout);
        Assert.Equal(1.5, options.RetransmitBase);
        Assert.Equal(TimeSpan.FromSeconds(20), options.RetransmitLimit);
        Assert.Equal(TimeSpan.FromMinutes(1), options.HalfOpenTimeout);
        Assert.Equal(1400, options.FragmentSize);
        Assert.Equal(1500, options.IkePort);
        Assert.Equal(TimeSpan.FromSeconds(20), options.RetransmitDelay(6)); // 2.5 s · 1.5⁶ ≈ 28.5 s, capped
    }

    [Fact]
    public void Keys_left_out_keep_the_engine_defaults()
    {
        (DaemonSettings? settings, IReadOnlyList<ConfigError> errors, _) = Load("charon {\n  fragment_size = 0\n}\n");
        Assert.Empty(errors);
        IkeEngineOptions defaults = new(), applied = settings!.ApplyTo(defaults);
        Assert.Equal(defaults with { FragmentSize = 0 }, applied);
        Assert.Equal(new IkeEngineOptions(), new DaemonSettings().ApplyTo(defaults));
    }

    [Fact]
    public void Unimplemented_keys_and_subsections_are_warnings_naming_file_line_and_key()
    {
        (DaemonSettings? settings, IReadOnlyList<ConfigError> errors, IReadOnlyList<ConfigError> warnings) = Load("""
            charon {
                load = random nonce aes
                threads = 16
                fragment_size = 1200
                plugins {
                    vici { socket = unix:///run/x }
                    kernel-netlink { fwmark = !0x42 }
                }
                filelog {
                    f { path = /var/log/charon.log }
                }
                syslog {
                    daemon { default = 1 }
                }
            }
            swanctl { socket = unix:///run/x }
            libstrongswan { crypto_test { on_add = yes } }
            """);
        Assert.Empty(errors);
        Assert.Equal(1200, settings!.FragmentSize);
        Assert.Equal(["charon.load", "charon.threads", "charon.plugins", "charon.filelog.f.path"], warnings.Select(w => w.Key));
        Assert.Equal([2, 3, 5, 10], warnings.Select(w => w.Line));
        Assert.Equal(new Dictionary<string, int> { ["default"] = 1 }, settings.LogLevels);
        Assert.All(warnings, w => Assert.Equal(Main, w.File));
        Assert.All(warnings, w => Assert.Contains("ignored", w.Message));
        Assert.StartsWith($"{Main}:3: charon.threads: ignored", warnings[1].ToString());
        Assert.Contains("no plugins", warnings[2].Message);
    }

    [Theory]
    [InlineData("retransmit_tries = many", "not a whole number")]
    [InlineData("retransmit_tries = -1", "not a whole number")]
    [InlineData("retransmit_timeout = 0", "not a number of seconds")]
    [InlineData("retransmit_timeout = 4s", "not a number of seconds")]
    [InlineData("retransmit_base = 0.5", "from 1 to 10")]
    [InlineData("retransmit_limit = -3", "not a number of seconds")]
    [InlineData("half_open_timeout = 0", "longer than 0")]
    [InlineData("half_open_timeout = soon", "not a duration")]
    [InlineData("fragment_size = 100", "too small")]
    [InlineData("fragment_size = 70000", "from 0 to 65535")]
    public void Bad_values_are_errors_naming_file_line_and_key(string line, string message)
    {
        (DaemonSettings? settings, IReadOnlyList<ConfigError> errors, _) = Load($"charon {{\n  retransmit_tries = 2\n  {line}\n}}\n");
        Assert.Null(settings);
        ConfigError e = Assert.Single(errors);
        Assert.Equal((Main, 3, "charon." + line.Split(' ')[0]), (e.File, e.Line, e.Key));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Values_in_strongswans_other_formats()
    {
        (DaemonSettings? settings, IReadOnlyList<ConfigError> errors, _) = Load("charon {\n  retransmit_tries = 0x4\n  half_open_timeout = 45\n  retransmit_limit = 0\n}\n");
        Assert.Empty(errors);
        Assert.Equal(4, settings!.RetransmitTries);
        Assert.Equal(TimeSpan.FromSeconds(45), settings.HalfOpenTimeout);
        Assert.Equal(TimeSpan.Zero, settings.RetransmitLimit);
    }

    [Fact]
    public void Includes_are_followed_and_later_values_win()
    {
        var fs = new InMemoryConfigFileSystem()
            .Add("/etc/portcullis/strongswan.d/a.conf", "charon {\n  fragment_size = 1000\n}\n")
            .Add("/etc/portcullis/strongswan.d/b.conf", "charon {\n  retransmit_tries = 7\n  mystery = 1\n}\n");
        (DaemonSettings? settings, IReadOnlyList<ConfigError> errors, IReadOnlyList<ConfigError> warnings) =
            Load("charon {\n  fragment_size = 500\n}\ninclude strongswan.d/*.conf\n", fs);
        Assert.Empty(errors);
        Assert.Equal(1000, settings!.FragmentSize);
        Assert.Equal(7, settings.RetransmitTries);
        ConfigError w = Assert.Single(warnings);
        Assert.Equal(("/etc/portcullis/strongswan.d/b.conf", 3, "charon.mystery"), (w.File, w.Line, w.Key));
    }

    [Fact]
    public void A_missing_file_is_fine_only_when_not_asked_for()
    {
        var fs = new InMemoryConfigFileSystem();
        (DaemonSettings? settings, IReadOnlyList<ConfigError> errors, _) = DaemonSettingsLoader.Load(DaemonSettingsLoader.DefaultPath, fs, required: false);
        Assert.Empty(errors);
        Assert.Equal(new DaemonSettings(), settings);

        (settings, errors, _) = DaemonSettingsLoader.Load("/tmp/none.conf", fs, required: true);
        Assert.Null(settings);
        ConfigError e = Assert.Single(errors);
        Assert.Equal("/tmp/none.conf", e.File);
        Assert.Contains("cannot read", e.Message);
    }

    [Fact]
    public void Syntax_errors_are_errors()
    {
        (DaemonSettings? settings, IReadOnlyList<ConfigError> errors, _) = Load("charon {\n  fragment_size = 1200\n");
        Assert.Null(settings);
        Assert.Contains(errors, e => e.Line == 1 && e.Message.Contains("missing '}'"));
    }

    [Fact]
    public void Filelog_and_syslog_levels_are_read_and_the_most_verbose_wins()
    {
        (DaemonSettings? settings, IReadOnlyList<ConfigError> errors, IReadOnlyList<ConfigError> warnings) = Load("""
            charon {
                filelog {
                    stderr {
                        default = 0
                        ike = 2
                        cfg = -1
                        time_format = %b
                    }
                    charonlog {
                        ike = 1
                        knl = 3
                    }
                }
                syslog {
                    daemon {
                        ike = 1
                        esp = 4
                    }
                }
            }
            """);
        Assert.Empty(errors);
        Assert.Equal(new Dictionary<string, int> { ["default"] = 0, ["ike"] = 2, ["cfg"] = -1, ["knl"] = 3, ["esp"] = 4 }, settings!.LogLevels);
        Assert.Equal("charon.filelog.stderr.time_format", Assert.Single(warnings).Key);
    }

    [Fact]
    public void A_bad_log_level_is_an_error_with_file_line_and_key()
    {
        (DaemonSettings? settings, IReadOnlyList<ConfigError> errors, _) = Load("""
            charon {
                syslog {
                    daemon { ike = 7 }
                }
            }
            """);
        Assert.Null(settings);
        Assert.Equal($"{Main}:3: charon.syslog.daemon.ike: '7' is not a log level (-1 silent, 0 basic … 4 everything)", Assert.Single(errors).ToString());
    }
}
