#!/usr/bin/perl
# A minimal VICI client for bench/ike-setup-rate.sh. One swanctl process per connection would cost the initiator
# about 10 ms of CPU each, more than the setups being measured; over one socket the requests cost next to nothing.
# The wire format (length-prefixed packets of typed elements) is strongSwan's documented VICI protocol.
#
#   burst SOCKET PREFIX N WINDOW TIMEOUT_S PID...    initiate PREFIX1..PREFIXN (IKE only), at most WINDOW of them
#                                                    unfinished at a time (0: all at once), counting charon's
#                                                    ike-updown events until N are up; prints seconds, SAs up, SAs
#                                                    failed, IKE SAs and half-open ones in charon's stats, the CPU
#                                                    ticks the whole machine was busy and each PID's CPU ticks
#                                                    (utime + stime), all over that window
#   terminate SOCKET PREFIX N TIMEOUT_S              terminate PREFIX1..PREFIXN, wait until no IKE SA is left
#   stats SOCKET                                     prints "total half-open"
use strict;
use warnings;
use IO::Socket::UNIX;
use Time::HiRes qw(time sleep);

my ($command, $path, @args) = @ARGV;
die "usage: $0 burst|terminate|stats SOCKET ...\n" unless $command && $path;
$path =~ s{^unix://}{};
my $sock = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path) or die "connect $path: $!\n";
binmode $sock;

# Element and packet types of the VICI protocol.
use constant { SECTION_START => 1, SECTION_END => 2, KEY_VALUE => 3, LIST_START => 4, LIST_ITEM => 5, LIST_END => 6 };
use constant { CMD_REQUEST => 0, CMD_RESPONSE => 1, CMD_UNKNOWN => 2, EVENT_REGISTER => 3, EVENT_UNREGISTER => 4,
    EVENT_CONFIRM => 5, EVENT_UNKNOWN => 6, EVENT => 7 };

sub request_bytes {
    my ($name, %kv) = @_;
    my $body = pack('C C/a*', CMD_REQUEST, $name);
    $body .= pack('C C/a* n/a*', KEY_VALUE, $_, $kv{$_}) for sort keys %kv;
    return pack('N/a*', $body);
}

sub read_exact {
    my ($n) = @_;
    my $buf = '';
    while (length($buf) < $n) {
        my $got = sysread($sock, $buf, $n - length($buf), length($buf));
        die "VICI socket closed\n" unless $got;
    }
    return $buf;
}

# Reads one packet (waiting at most WAIT seconds, if given) and flattens its message to "section.key" => value.
sub read_packet {
    my ($wait) = @_;
    if (defined $wait) {
        my $bits = ''; vec($bits, fileno($sock), 1) = 1;
        return undef if $wait <= 0 || !select(my $r = $bits, undef, undef, $wait);
    }
    my $len = unpack('N', read_exact(4));
    my $data = read_exact($len);
    my $type = unpack('C', $data);
    die "charon does not know the command\n" if $type == CMD_UNKNOWN;
    my $pos = 1;
    my $name = '';
    if ($type == EVENT) { $name = unpack('@1 C/a*', $data); $pos += 1 + length $name; }
    my (%out, @path);
    while ($pos < length $data) {
        my $el = unpack("\@$pos C", $data); $pos++;
        if ($el == SECTION_START || $el == LIST_START) {
            my $section = unpack("\@$pos C/a*", $data); $pos += 1 + length $section;
            push @path, $section;
        } elsif ($el == SECTION_END || $el == LIST_END) {
            pop @path;
        } elsif ($el == KEY_VALUE) {
            my $key = unpack("\@$pos C/a*", $data); $pos += 1 + length $key;
            my $value = unpack("\@$pos n/a*", $data); $pos += 2 + length $value;
            $out{join('.', @path, $key)} = $value;
        } elsif ($el == LIST_ITEM) {
            my $value = unpack("\@$pos n/a*", $data); $pos += 2 + length $value;
            $out{join('.', @path)} .= "$value ";
        } else {
            die "bad VICI element $el\n";
        }
    }
    return { type => $type, name => $name, msg => \%out };
}

# Reads the response to a command (no events are registered when this is used).
sub read_response {
    my $p = read_packet();
    die "unexpected VICI packet type $p->{type}\n" unless $p->{type} == CMD_RESPONSE;
    return $p->{msg};
}

sub stats {
    print $sock request_bytes('stats');
    my $r = read_response();
    return ($r->{'ikesas.total'} // -1, $r->{'ikesas.half-open'} // -1);
}

sub cpu_ticks {
    my ($pid) = @_;
    open(my $f, '<', "/proc/$pid/stat") or return -1;
    my $line = <$f>;
    close $f;
    # Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    my @f = split ' ', substr($line, rindex($line, ')') + 2);
    return $f[11] + $f[12];
}

# Ticks all CPUs were busy (everything but idle and iowait), from the first line of /proc/stat.
sub machine_busy {
    open(my $f, '<', '/proc/stat') or return -1;
    my @f = split ' ', scalar <$f>;
    close $f;
    my $total = 0; $total += $_ for @f[1 .. $#f];
    return $total - $f[4] - $f[5];
}

# Sends all requests first, then reads the answers: charon answers each at once when it is told not to wait.
sub pipeline {
    my ($name, $prefix, $n, %extra) = @_;
    my $out = '';
    $out .= request_bytes($name, ike => "$prefix$_", timeout => '-1', %extra) for 1 .. $n;
    syswrite($sock, $out) == length($out) or die "VICI write: $!\n";
    my $ok = 0;
    for (1 .. $n) { my $r = read_response(); $ok++ if ($r->{success} // '') eq 'yes'; }
    return $ok;
}

$| = 1;
$sock->autoflush(1);
if ($command eq 'burst') {
    my ($prefix, $n, $window, $timeout, @pids) = @args;
    $window = $n if $window <= 0 || $window > $n;
    # Events arrive on this connection between command responses; each up event frees a place in the window.
    print $sock pack('N/a*', pack('C C/a*', EVENT_REGISTER, 'ike-updown'));
    my $confirm = read_packet();
    die "charon refused the ike-updown event\n" unless $confirm->{type} == EVENT_CONFIRM;
    my @before = (machine_busy(), map { cpu_ticks($_) } @pids);
    my $t0 = time;
    my ($sent, $up, $failed, $pending) = (0, 0, 0, 0);
    while ($up + $failed < $n && time - $t0 < $timeout) {
        my $burst = '';
        while ($sent < $n && $sent - $up - $failed < $window) {
            $sent++; $pending++;
            $burst .= request_bytes('initiate', ike => "$prefix$sent", timeout => '-1');
        }
        syswrite($sock, $burst) == length($burst) or die "VICI write: $!\n" if length $burst;
        my $p = read_packet($t0 + $timeout - time);
        last unless $p;
        if ($p->{type} == CMD_RESPONSE) {
            $pending--;
            $failed++ if ($p->{msg}{success} // '') ne 'yes';
        } elsif ($p->{type} == EVENT && $p->{name} eq 'ike-updown') {
            # "up" is set only when the SA came up; a down event before that means it failed.
            if (exists $p->{msg}{up}) { $up++ } else { $failed++ }
        }
    }
    my $seconds = time - $t0;
    my @after = (machine_busy(), map { cpu_ticks($_) } @pids);
    while ($pending > 0) { my $p = read_packet(5) or last; $pending-- if $p->{type} == CMD_RESPONSE; }
    print $sock pack('N/a*', pack('C C/a*', EVENT_UNREGISTER, 'ike-updown'));
    while (1) { my $p = read_packet(5) or last; last if $p->{type} == EVENT_CONFIRM; }
    my ($total, $half) = stats();
    printf "%.3f %d %d %d %d %s\n", $seconds, $up, $failed, $total, $half, join(' ', map { $after[$_] - $before[$_] } 0 .. $#after);
} elsif ($command eq 'terminate') {
    my ($prefix, $n, $timeout) = @args;
    pipeline('terminate', $prefix, $n);
    my $t0 = time;
    my ($total, $half) = stats();
    while ($total > 0 && time - $t0 < $timeout) { sleep(0.05); ($total, $half) = stats(); }
    print "$total $half\n";
    exit($total == 0 ? 0 : 1);
} elsif ($command eq 'stats') {
    my ($total, $half) = stats();
    print "$total $half\n";
} else {
    die "unknown command $command\n";
}
