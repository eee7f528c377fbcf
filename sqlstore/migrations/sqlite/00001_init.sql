-- +goose Up
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL,
    username_key  TEXT NOT NULL CONSTRAINT users_username_key_unique UNIQUE,
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL CONSTRAINT users_email_key_unique UNIQUE,
    first_name    TEXT NOT NULL DEFAULT '',
    last_name     TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    is_staff      BOOLEAN NOT NULL DEFAULT FALSE,
    date_joined   DATETIME NOT NULL
);

CREATE TABLE refresh_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL CONSTRAINT refresh_tokens_token_hash_unique UNIQUE,
    family     TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    revoked_at DATETIME
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

CREATE TABLE patients (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    first_name TEXT NOT NULL,
    last_name  TEXT NOT NULL,
    email      TEXT NOT NULL,
    email_key  TEXT NOT NULL,
    dob        DATE NOT NULL,
    notes      TEXT NOT NULL DEFAULT '',
    search_key TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    CONSTRAINT patients_owner_email_unique UNIQUE (owner_id, email_key)
);
CREATE INDEX patients_owner_id_idx ON patients (owner_id, id);

CREATE TABLE doctors (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name         TEXT NOT NULL,
    last_name          TEXT NOT NULL,
    email              TEXT NOT NULL,
    email_key          TEXT NOT NULL CONSTRAINT doctors_email_key_unique UNIQUE,
    specialization     TEXT NOT NULL,
    specialization_key TEXT NOT NULL,
    search_key         TEXT NOT NULL,
    created_at         DATETIME NOT NULL,
    updated_at         DATETIME NOT NULL
);
CREATE INDEX doctors_specialization_key_idx ON doctors (specialization_key, id);

-- doctor_id takes the default NO ACTION, not RESTRICT: both refuse to delete
-- an assigned doctor, but SQLite reports RESTRICT as a trigger error (1811)
-- and NO ACTION as the foreign-key error (787) the store maps to 409.
CREATE TABLE assignments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    doctor_id  INTEGER NOT NULL REFERENCES doctors (id),
    created_at DATETIME NOT NULL,
    CONSTRAINT assignments_patient_doctor_unique UNIQUE (patient_id, doctor_id)
);
CREATE INDEX assignments_doctor_id_idx ON assignments (doctor_id);

-- +goose Down
DROP TABLE assignments;
DROP TABLE doctors;
DROP TABLE patients;
DROP TABLE refresh_tokens;
DROP TABLE users;
