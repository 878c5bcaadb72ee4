# Rewrites calls of the flat Store methods (before issue 12) to the named repositories:
#   perl -pi scripts/codemods/store-facade.pl $(git grep -l "@pulsehub/store" -- '*.ts')
# It handles `<anything>store.<method>` and `createXRepo(<anything>store.db)`; a Store held
# under another name, imports (createTestDatabase & co. now come from
# @pulsehub/store/testing) and DeviceRow/RegisteredDevice/UserRow (now Device/User) are
# left to typecheck to point out.
my %m = (
 insertObservations => 'observations.insert', commitBatch => 'observations.commitBatch', commitStats => 'observations.commitStats',
 latestObservations => 'observations.latest', stepsSince => 'observations.stepsSince', countObservations => 'observations.count',
 insertDeadLetters => 'deadLetters.insert', listDeadLetters => 'deadLetters.list', markDeadLettersReplayed => 'deadLetters.markReplayed',
 upsertUser => 'users.upsert', getUser => 'users.get', setFtp => 'users.setFtp', ensureUsers => 'users.ensure', listUsers => 'users.list',
 upsertDevice => 'devices.upsert', getDevice => 'devices.get', recordToken => 'tokens.record', revokeToken => 'tokens.revoke',
 revokedTokenIds => 'tokens.revokedIds', grantConsent => 'consents.grant', revokeConsent => 'consents.revoke', consentedAthletes => 'consents.athletesFor',
);
my $names = join '|', keys %m;
s/\b((?:\w+\.)*\w*[sS]tore\??!?)\.($names)\b/"$1.$m{$2}"/ge;
s/createAdminRepo\(((?:\w+\.)*\w*[sS]tore)\.db\)\.listTokens\b/$1.tokens.list/g;
s/createAdminRepo\(((?:\w+\.)*\w*[sS]tore)\.db\)\.listAudit\b/$1.audit.list/g;
s/createAdminRepo\(((?:\w+\.)*\w*[sS]tore)\.db\)\.listConsents\b/$1.consents.list/g;
s/createClassRepo\(((?:\w+\.)*\w*[sS]tore)\.db\)/$1.classes/g;
s/createSharedScaleRepo\(((?:\w+\.)*\w*[sS]tore)\.db\)/$1.sharedScales/g;
s/createRegistry\(((?:\w+\.)*\w*[sS]tore)\.db\)/$1.devices/g;
s/createHrvRepo\(((?:\w+\.)*\w*[sS]tore)\.db\)/$1.hrv/g;
