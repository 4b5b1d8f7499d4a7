#!/usr/bin/env escript
%% ejabberd's ACME client (Debian's erlang-p1-acme) against `pkictl serve`:
%% escript p1_acme.escript DIRECTORY WEBROOT NAME
%% It writes http-01 answers into WEBROOT, gets one certificate for NAME and alt-NAME, and revokes
%% it with the certificate's key, printing one line per step; a failure exits 1 with the reason.
%% (OTP 25's httpc does not verify the server: the other clients judge our TLS.)
main([Dir, Webroot, Name]) ->
    {ok, _} = application:ensure_all_started(inets),
    {ok, _} = application:ensure_all_started(ssl),
    inets:start(httpc, [{profile, p1_acme}]),
    logger:set_primary_config(level, error),
    Publish = fun(Challenges) ->
                      io:format("challenges ~p~n", [length(Challenges)]),
                      lists:foreach(fun(#{token := T, key := K}) -> ok = file:write_file(filename:join(Webroot, T), K) end,
                                    Challenges)
              end,
    Opts = [{cert_type, ec}, {contact, [<<"mailto:ops@test.internal">>]}, {challenge_fun, Publish}],
    case p1_acme:issue(Dir, [Name, "alt-" ++ Name], p1_acme:generate_key(ec), Opts) of
        {ok, #{cert_chain := Chain, cert_key := CertKey}} ->
            Pem = public_key:pem_encode([{'Certificate', public_key:pkix_encode('OTPCertificate', C, otp), not_encrypted}
                                         || C <- Chain]),
            ok = file:write_file("p1-acme.pem", Pem),
            io:format("issued chain=~p~n", [length(Chain)]),
            case p1_acme:revoke(Dir, hd(Chain), CertKey, []) of
                ok -> io:format("revoked~n");
                {error, Why} -> io:format("revoke failed: ~s~n", [p1_acme:format_error(Why)]), halt(1)
            end;
        {error, Why} ->
            io:format("issue failed: ~s~n", [p1_acme:format_error(Why)]),
            halt(1)
    end.
